import BatonCore
import CCrypto
import Foundation

/// SHA-256 of files, through OpenSSL's libcrypto. The only file that imports CCrypto.
public enum SHA256 {
    /// The hex digest of the file at `path`, mapped into memory and hashed in one call.
    public static func hex(ofFileAt path: String) throws -> String {
        let file = try MappedFile(path: path)
        return hex(of: file.bytes)
    }

    /// The hex digest of a buffer, in one call to libcrypto.
    static func hex(of bytes: UnsafeRawBufferPointer) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = EVP_Digest(bytes.baseAddress, bytes.count, &digest, &length, EVP_sha256(), nil)
        return hexString(digest)
    }

    /// The hex digest of `data`.
    public static func hex(of data: some DataProtocol) -> String {
        var hasher = Hasher256()
        hasher.update(Data(data))
        return hasher.finalizeHex()
    }

    /// The hex digest of `bytes`, in one call to libcrypto.
    public static func hex(of bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { hex(of: $0) }
    }

    static func hexString(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: digest.count * 2)
        for (i, byte) in digest.enumerated() {
            out[2 * i] = digits[Int(byte >> 4)]
            out[2 * i + 1] = digits[Int(byte & 0xF)]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// An incremental SHA-256.
    public struct Hasher256: ~Copyable {
        private let context: OpaquePointer

        public init() {
            context = EVP_MD_CTX_new()
            precondition(EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1, "libcrypto cannot initialise SHA-256")
        }

        public mutating func update(_ data: Data) {
            data.withUnsafeBytes { raw in
                _ = EVP_DigestUpdate(context, raw.baseAddress, raw.count)
            }
        }

        public consuming func finalizeHex() -> String {
            var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
            var length: UInt32 = 0
            _ = EVP_DigestFinal_ex(context, &digest, &length)
            EVP_MD_CTX_free(context)
            discard self
            return SHA256.hexString(Array(digest.prefix(Int(length))))
        }

        deinit { EVP_MD_CTX_free(context) }
    }
}
