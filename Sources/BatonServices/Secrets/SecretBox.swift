import BatonCore
import CCrypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Seals and opens secrets with AES-256-GCM through libcrypto, under a key kept outside the store:
/// `BATON_SECRET_KEY` (32 bytes, base64 or hex), else `$BATON_HOME/secret.key` (made on first use,
/// mode 0600). A copied database, or a backup of it, reveals nothing without the key; every server
/// and worker of one store that reads secrets needs the same key.
///
/// A sealed value is `v1.` and the base64 of a fresh 12-byte nonce, the ciphertext and the 16-byte
/// tag. The project and name are authenticated with it (not encrypted), so a sealed value moved to
/// another name or project does not open.
public struct SecretBox: Sendable {
    let key: [UInt8]
    /// Where the key came from, for errors: the environment variable or the file.
    public let source: String

    public static let environmentVariable = "BATON_SECRET_KEY"
    static let prefix = "v1."

    init(key: [UInt8], source: String) {
        self.key = key
        self.source = source
    }

    /// The key of this host: from the environment, else from the home's key file, which `create`
    /// makes when there is none (setting a secret does; reading one never makes a key).
    public static func load(home: BatonHome, environment: [String: String] = ProcessInfo.processInfo.environment, create: Bool) throws -> SecretBox {
        if let text = environment[environmentVariable], !text.isEmpty {
            guard let key = decodeKey(text) else {
                throw BatonError(
                    .invalidInput, "\(environmentVariable) is not a key: expected 32 bytes as base64 (44 characters) or hex (64 characters)")
            }
            return SecretBox(key: key, source: environmentVariable)
        }
        let path = home.secretKeyPath
        if let data = FileManager.default.contents(atPath: path) {
            var info = stat()
            if stat(path, &info) == 0, info.st_mode & 0o077 != 0 {
                throw BatonError(
                    .invalidInput, "\(path) may be read by others (mode \(String(info.st_mode & 0o777, radix: 8))): `chmod 600 \(path)`, then try again")
            }
            guard let key = decodeKey(String(decoding: data, as: UTF8.self)) else {
                throw BatonError(.invalidInput, "\(path) is not a key: expected 32 bytes as base64 (44 characters) or hex (64 characters)")
            }
            return SecretBox(key: key, source: path)
        }
        guard create else {
            throw BatonError(
                .notFound, "this host has no secret key (\(path), or \(environmentVariable)): set a secret here first, or give the key of the host that did")
        }
        var random = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
        try home.prepare()
        let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor < 0 {
            // Another process made it first: use theirs.
            if errno == EEXIST { return try load(home: home, environment: environment, create: false) }
            throw BatonError(.io, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        let text = Array((Data(key).base64EncodedString() + "\n").utf8)
        let written = text.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        Glibc.close(descriptor)
        guard written == text.count, synced else {
            unlink(path)
            throw BatonError(.io, "cannot write \(path)")
        }
        return SecretBox(key: key, source: path)
    }

    static func decodeKey(_ text: String) -> [UInt8]? {
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.count == 64, text.allSatisfy(\.isHexDigit) {
            var bytes: [UInt8] = []
            var index = text.startIndex
            while index < text.endIndex {
                let next = text.index(index, offsetBy: 2)
                bytes.append(UInt8(text[index..<next], radix: 16)!)
                index = next
            }
            return bytes
        }
        guard let data = Data(base64Encoded: text), data.count == 32 else { return nil }
        return Array(data)
    }

    static func context(project: String, name: String) -> [UInt8] { Array("baton secret\u{0}\(project)\u{0}\(name)".utf8) }

    /// `value` sealed for the secret `name` of `project`.
    public func seal(_ value: String, project: String, name: String) throws -> String {
        var nonce = [UInt8](repeating: 0, count: 12)
        var random = SystemRandomNumberGenerator()
        for index in nonce.indices { nonce[index] = UInt8.random(in: 0...255, using: &random) }
        let plain = Array(value.utf8)
        let aad = Self.context(project: project, name: name)
        var out = [UInt8](repeating: 0, count: plain.count + 16)
        var tag = [UInt8](repeating: 0, count: 16)
        let context = EVP_CIPHER_CTX_new()
        defer { EVP_CIPHER_CTX_free(context) }
        var length: Int32 = 0
        var total: Int32 = 0
        guard EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nil, key, nonce) == 1,
            EVP_EncryptUpdate(context, nil, &length, aad, Int32(aad.count)) == 1,
            EVP_EncryptUpdate(context, &out, &length, plain, Int32(plain.count)) == 1
        else { throw BatonError(.io, "libcrypto could not seal the secret") }
        total = length
        let finished = out.withUnsafeMutableBufferPointer { EVP_EncryptFinal_ex(context, $0.baseAddress! + Int(total), &length) }
        guard finished == 1, EVP_CIPHER_CTX_ctrl(context, Self.getTag, 16, &tag) == 1 else {
            throw BatonError(.io, "libcrypto could not seal the secret")
        }
        total += length
        return Self.prefix + Data(nonce + out[0..<Int(total)] + tag).base64EncodedString()
    }

    /// The value a sealed secret holds; throws when it was sealed under another key, name or project.
    public func open(_ sealed: String, project: String, name: String) throws -> String {
        guard sealed.hasPrefix(Self.prefix), let data = Data(base64Encoded: String(sealed.dropFirst(Self.prefix.count))), data.count >= 28 else {
            throw BatonError(.store, "secret '\(name)' of project '\(project)' is not stored as a sealed secret")
        }
        let bytes = Array(data)
        let nonce = Array(bytes[0..<12])
        let cipher = Array(bytes[12..<(bytes.count - 16)])
        var tag = Array(bytes[(bytes.count - 16)...])
        let aad = Self.context(project: project, name: name)
        var out = [UInt8](repeating: 0, count: cipher.count + 16)
        let context = EVP_CIPHER_CTX_new()
        defer { EVP_CIPHER_CTX_free(context) }
        var length: Int32 = 0
        guard EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nil, key, nonce) == 1,
            EVP_DecryptUpdate(context, nil, &length, aad, Int32(aad.count)) == 1,
            EVP_DecryptUpdate(context, &out, &length, cipher, Int32(cipher.count)) == 1,
            EVP_CIPHER_CTX_ctrl(context, Self.setTag, 16, &tag) == 1
        else { throw BatonError(.io, "libcrypto could not open secret '\(name)'") }
        let total = length
        let verified = out.withUnsafeMutableBufferPointer { EVP_DecryptFinal_ex(context, $0.baseAddress! + Int(total), &length) }
        guard verified == 1 else {
            throw BatonError(
                .forbidden,
                "secret '\(name)' of project '\(project)' does not open with this host's key (\(source)): it was set with another; give this host that key")
        }
        return String(decoding: out[0..<Int(total + length)], as: UTF8.self)
    }

    // EVP_CTRL_AEAD_GET_TAG and EVP_CTRL_AEAD_SET_TAG (openssl/evp.h).
    static let getTag: Int32 = 0x10
    static let setTag: Int32 = 0x11
}

/// HMAC-SHA256 through libcrypto, for signed webhooks.
public enum HMACSHA256 {
    public static func digest(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = HMAC(EVP_sha256(), key, Int32(key.count), message, message.count, &out, &length)
        return Array(out[0..<Int(length)])
    }

    public static func hex(key: [UInt8], _ message: [UInt8]) -> String {
        digest(key: key, message).map { String(format: "%02x", $0) }.joined()
    }
}
