import BatonCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// API keys `baton login` saved, one per server URL, in the user's config
/// (`$XDG_CONFIG_HOME/baton/credentials.json`, else `~/.config/baton/credentials.json`): the file
/// is mode 0600 in a folder of mode 0700, written whole and renamed into place. `BATON_API_KEY`,
/// when set, is used instead.
enum SavedKeys {
    static func path(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()) + "/.config"
        return base + "/baton/credentials.json"
    }

    /// The key saved for the server at `url`, if any.
    static func key(for url: String) -> String? { (try? load())?[normalized(url)] }

    /// Saves `key` for `url`, replacing one saved before.
    static func save(_ key: String, for url: String) throws {
        var keys = try load()
        keys[normalized(url)] = key
        try store(keys)
    }

    /// Forgets the key saved for `url`; false when there was none.
    static func remove(for url: String) throws -> Bool {
        var keys = try load()
        guard keys.removeValue(forKey: normalized(url)) != nil else { return false }
        try store(keys)
        return true
    }

    private static func normalized(_ url: String) -> String { url.hasSuffix("/") ? String(url.dropLast()).lowercased() : url.lowercased() }

    private static func load() throws -> [String: String] {
        let file = path()
        guard let data = FileManager.default.contents(atPath: file) else { return [:] }
        guard let keys = try? JSONDecoder().decode([String: String].self, from: data) else {
            throw BatonError(.invalidInput, "\(file) is not valid: expected a JSON object of server URLs and API keys, as `baton login` writes it")
        }
        return keys
    }

    private static func store(_ keys: [String: String]) throws {
        let file = path()
        let folder = (file as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(keys)
        // Made private before the key is in it, then renamed over the old file.
        let temporary = folder + "/.credentials-\(getpid()).json"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw BatonError(.io, "cannot write \(temporary): \(String(cString: strerror(errno)))") }
        let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        fchmod(descriptor, 0o600)
        close(descriptor)
        guard written == data.count, rename(temporary, file) == 0 else {
            unlink(temporary)
            throw BatonError(.io, "cannot write \(file): \(String(cString: strerror(errno)))")
        }
    }
}
