import FoundationEssentials

/// Publishes artifacts: markdown, a table or a link, stored with the current run under a key and
/// shown by `baton artifact ls`, `baton artifact show KEY` and the run's page. Keys are lowercase
/// letters, digits and dashes. Outside a run, artifacts are printed.
///
/// ```swift
/// Artifact.markdown("# Daily report\n\(rows) rows loaded", key: "daily-report")
/// Artifact.table([["city": "Oslo", "knots": "12.4"]], key: "wind")
/// Artifact.link("https://example.com/dashboards/7", text: "Dashboard", key: "dashboard")
/// ```
public enum Artifact {
    /// A markdown document.
    public static func markdown(_ markdown: String, key: String, description: String? = nil) {
        publish(kind: "markdown", key: key, data: markdown, description: description)
    }

    /// A table: one dictionary of column name to value per row.
    public static func table(_ rows: [[String: String]], key: String, description: String? = nil) {
        let data = (try? BatonJSON.encode(rows)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
        publish(kind: "table", key: key, data: data, description: description)
    }

    /// A link, with the text to show for it.
    public static func link(_ url: String, text: String? = nil, key: String, description: String? = nil) {
        let data = (try? BatonJSON.encode(["url": url, "text": text ?? url])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        publish(kind: "link", key: key, data: data, description: description)
    }

    private struct Published: Encodable {
        var key: String
        var kind: String
        var data: String
        var description: String?
    }

    private static func publish(kind: String, key: String, data: String, description: String?) {
        guard let scope = RunScope.current else {
            Swift.print("[artifact \(key) (\(kind))]\n\(data)")
            return
        }
        guard let json = try? BatonJSON.encode(Published(key: key, kind: kind, data: data, description: description)) else { return }
        scope.host.artifact(caller: scope.caller, json: json)
    }
}
