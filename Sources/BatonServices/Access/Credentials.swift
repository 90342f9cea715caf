import BatonCore
import BatonLoader
import CCrypto
import Foundation

/// A password as stored: PBKDF2-HMAC-SHA256 through libcrypto, with a random 16-byte salt and
/// 600,000 iterations (OWASP's figure for this KDF), written
/// `pbkdf2-sha256$ITERATIONS$SALT$HASH` (salt and hash in base64). Checking compares in constant
/// time. Never logged, never sent.
public enum PasswordHash {
    public static let iterations = 600_000
    static let scheme = "pbkdf2-sha256"

    /// The stored form of `password`, with a new salt.
    public static func make(_ password: String, iterations: Int = iterations) throws -> String {
        var salt = [UInt8](repeating: 0, count: 16)
        var random = SystemRandomNumberGenerator()
        for index in salt.indices { salt[index] = random.next() }
        let hash = try derive(password, salt: salt, iterations: iterations)
        return [scheme, String(iterations), Data(salt).base64EncodedString(), Data(hash).base64EncodedString()].joined(separator: "$")
    }

    /// Whether `password` is the one `stored` was made from; false for a stored form it cannot read.
    public static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == scheme, let iterations = Int(parts[1]), (1...10_000_000).contains(iterations),
            let salt = Data(base64Encoded: String(parts[2])), let expected = Data(base64Encoded: String(parts[3])), expected.count == 32,
            let derived = try? derive(password, salt: Array(salt), iterations: iterations)
        else { return false }
        return ConstantTime.equal(derived, Array(expected))
    }

    private static func derive(_ password: String, salt: [UInt8], iterations: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        let bytes = Array(password.utf8)
        let ok = bytes.withUnsafeBufferPointer { pass in
            salt.withUnsafeBufferPointer { salt in
                PKCS5_PBKDF2_HMAC(
                    pass.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, Int32(pass.count),
                    salt.baseAddress, Int32(salt.count), Int32(iterations), EVP_sha256(), Int32(out.count), &out)
            }
        }
        guard ok == 1 else { throw BatonError(.io, "cannot hash a password: libcrypto's PBKDF2 failed") }
        return out
    }
}

/// API keys: `baton_` followed by 40 random base-32 characters (200 bits). The store keeps the
/// first 14 characters (`baton_` and 8 more) to find a key and to show it, and the SHA-256 of the
/// whole key: a key has far too much entropy to be guessed from its hash, so a slow hash adds nothing.
public enum APIKeyText {
    static let start = "baton_"
    static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
    static let prefixLength = start.count + 8

    /// A new key and what the store keeps of it.
    public static func make() -> (key: String, prefix: String, hash: String) {
        let key = start + randomText(40)
        return (key, String(key.prefix(prefixLength)), hash(key))
    }

    /// `count` characters of the key alphabet (lower-case base32), from the system's random source:
    /// API keys, and the tokens of inbound webhooks.
    static func randomText(_ count: Int) -> String {
        var random = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet[Int(random.next(upperBound: UInt32(alphabet.count)))] })
    }

    /// The prefix a key is found by, or nil when `text` is not shaped like a key.
    public static func prefix(of text: String) -> String? {
        guard text.count == start.count + 40, text.hasPrefix(start), text.dropFirst(start.count).allSatisfy(alphabet.contains) else {
            return nil
        }
        return String(text.prefix(prefixLength))
    }

    public static func hash(_ key: String) -> String { SHA256.hex(of: Array(key.utf8)) }
}

/// Comparing secrets without telling, by the time it takes, how much of them matched.
public enum ConstantTime {
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    public static func equal(_ a: String, _ b: String) -> Bool { equal(Array(a.utf8), Array(b.utf8)) }
}
