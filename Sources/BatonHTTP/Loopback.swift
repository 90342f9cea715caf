/// Which host names and addresses are this machine's own loopback: what a server may answer for
/// without being told, and where it may listen without authentication.
public enum Loopback {
    /// Whether `host` (a name or an address, without port or brackets; any case) is loopback:
    /// `localhost`, an address of 127.0.0.0/8, or `::1`.
    public static func contains(_ host: String) -> Bool {
        let host = host.lowercased()
        if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "127" else { return false }
        return parts.allSatisfy { part in part.count <= 3 && UInt8(part) != nil }
    }

    /// The host name of a `Host` header or URL authority (`name:port`, `[::1]:port`), lowercased,
    /// without port or brackets; nil when it is not one.
    public static func hostName(ofAuthority authority: String) -> String? {
        let authority = authority.lowercased()
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            let rest = authority[authority.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && UInt16(rest.dropFirst()) != nil) else { return nil }
            return String(authority[authority.index(after: authority.startIndex)..<close])
        }
        let pieces = authority.split(separator: ":", omittingEmptySubsequences: false)
        guard pieces.count <= 2, let name = pieces.first, !name.isEmpty else { return nil }
        if pieces.count == 2 && UInt16(pieces[1]) == nil { return nil }
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_" }) else { return nil }
        return String(name)
    }
}
