import BatonCore
import BatonHTTP
import BatonRunner
import BatonStore
import Foundation

/// Flows, their versions, and registering a library by uploading it.
extension API {
    static func flowRoutes(_ c: APIContext) -> [Route] {
        [
            Route(method: "GET", pattern: "/api/flows", summary: "Every flow with its latest version, last run and next scheduled run", tag: "flows", response: "FlowList") { _ in
                let next = try c.store.nextScheduledRuns()
                return try Reply.json(Listing(key: "flows", items: try c.store.flows().map { FlowView($0, next: next[$0.name]) }))
            },
            Route(method: "GET", pattern: "/api/flows/{flow}", summary: "A flow and its versions", tag: "flows", response: "Flow") { request in
                let name = request.path("flow")
                guard let summary = try c.store.flows().first(where: { $0.name == name }) else {
                    throw APIError.notFound("no flow named '\(name)'; GET /api/flows lists them")
                }
                var view = FlowView(summary, next: try c.store.nextScheduledRuns()[name])
                view.versions = try c.store.versions(of: name).reversed().map { try versionView($0, c) }
                return try Reply.json(view)
            },
            Route(method: "GET", pattern: "/api/flows/{flow}/versions", summary: "A flow's versions, newest first", tag: "flows", response: "VersionList") { request in
                let versions = try c.store.versions(of: request.path("flow")).reversed().map { try versionView($0, c) }
                return try Reply.json(Listing(key: "versions", items: versions))
            },
            Route(method: "GET", pattern: "/api/flows/{flow}/versions/{version}", summary: "One version (a number or latest) with its parameter schema and tasks, its full manifest and its library", tag: "flows", response: "Version") { request in
                let record = try version(request, "version", c)
                var view = try versionView(record, c)
                view.manifest = record.manifest
                view.library = try c.store.library(hash: record.libraryHash)
                return try Reply.json(view)
            },
            Route(method: "GET", pattern: "/api/flows/{flow}/versions/{version}/diff/{other}", summary: "What changed between two versions", tag: "flows", response: "VersionDiff") { request in
                let a = try versionView(try version(request, "version", c), c)
                let b = try versionView(try version(request, "other", c), c)
                return try Reply.json(try VersionDiff(a.version, b.version))
            },
            Route(method: "POST", pattern: "/api/libraries", summary: "Register a flow library by uploading its bytes: each flow in it gets a new version, live for its next run", tag: "flows", query: ["label", "fileName", "source"], body: "binary", status: 201, response: "Registration") { request in
                try register(request, c)
            },
        ]
    }

    /// The version named by a path parameter: a number or `latest`.
    static func version(_ request: HTTPRequest, _ parameter: String, _ c: APIContext) throws -> VersionRecord {
        let text = request.path(parameter)
        guard let choice = VersionChoice(text) else {
            throw APIError.badRequest(VersionChoice.refusal(text, naming: "version"), field: parameter)
        }
        return try c.store.version(of: request.path("flow"), number: choice.number)
    }

    static func versionView(_ v: VersionRecord, _ c: APIContext) throws -> APIVersion {
        let tasks = try c.store.library(hash: v.libraryHash)?.manifest.tasks ?? []
        return APIVersion(version: VersionView(v), tasks: tasks.map(TaskSummary.init))
    }

    private static func register(_ request: HTTPRequest, _ c: APIContext) throws -> HTTPResponse {
        let type = request.headers["Content-Type"]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard type == "application/octet-stream" || type == "application/x-sharedlib" else {
            throw APIError(
                .unsupportedMediaType, "unsupported_media_type",
                "Content-Type '\(type ?? "none")' is not accepted for an upload: expected application/octet-stream with the library's bytes")
        }
        // Served, the route keeps its body in a file (see `API.bodyPolicy`): the library never sits
        // in memory. A request handed over in process may still carry its bytes.
        let size = request.bodyFile.flatMap { (try? FileManager.default.attributesOfItem(atPath: $0))?[.size] as? Int } ?? request.body.count
        guard size > 0 else { throw APIError.badRequest("the upload is empty: expected the bytes of a flow library (.so)") }
        let fileName = request.queryString("fileName") ?? "libUploaded.so"
        guard fileName.hasSuffix(".so"), !fileName.contains("/"), fileName.count <= 200, !fileName.hasPrefix(".") else {
            throw APIError.badRequest("fileName '\(fileName)' is not valid: expected a file name ending in .so, such as libWindspeed.so", field: "fileName")
        }
        // Registered under the name the client gave, in a folder of its own.
        let directory = c.home.path + "/uploads/" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/" + fileName
        do {
            if let upload = request.bodyFile {
                try FileManager.default.moveItem(atPath: upload, toPath: path)
            } else {
                try Data(request.body).write(to: URL(fileURLWithPath: path))
            }
        } catch {
            throw BatonError(.io, "cannot write the upload to \(path): \(error.localizedDescription)")
        }
        let reports: [Registrar.Report]
        do {
            reports = try Registrar(home: c.home, store: c.store).register(
                path: path, label: request.queryString("label"),
                source: request.queryString("source") ?? "upload from \(request.remoteAddress): \(fileName)")
        } catch let error as BatonError {
            // The client knows its file by name, not by where the server kept it for a moment.
            throw BatonError(
                error.code, error.message.replacingOccurrences(of: "'\(path)'", with: "the uploaded file '\(fileName)'")
                    .replacingOccurrences(of: path, with: fileName),
                underlying: error.underlying, field: error.field)
        }
        let registered = reports.flatMap(\.versions)
        for version in registered where version.created {
            c.log("registered \(version.flow) version \(version.version) (sha256 \(version.hash.prefix(12))) from an upload of \(fileName)")
        }
        return try Reply.json(Listing(key: "registered", items: registered), status: .created)
    }
}

/// A flow in the API: its summary, its next scheduled run, and (on its own page) its versions.
struct FlowView: Encodable {
    var name: String
    var description: String?
    var latestVersion: Int
    var versionCount: Int
    var latestRegisteredAt: Date
    var lastRunState: String?
    var lastRunAt: Date?
    var nextScheduledRun: Date?
    var versions: [APIVersion]?

    init(_ f: FlowSummary, next: Date?) {
        name = f.name
        description = f.description
        latestVersion = f.latestVersion
        versionCount = f.versionCount
        latestRegisteredAt = f.latestRegisteredAt
        lastRunState = f.lastRunState?.rawValue
        lastRunAt = f.lastRunAt
        nextScheduledRun = next
    }
}

/// A version with the tasks of its library.
struct APIVersion: Encodable {
    var version: VersionView
    var tasks: [TaskSummary]
    /// For one version: the flow's manifest and the stored library (its facts and every task's options).
    var manifest: FlowManifest?
    var library: LibraryRecord?

    func encode(to encoder: any Encoder) throws {
        try version.encode(to: encoder)
        var container = encoder.container(keyedBy: AnyCodingKey.self)
        try container.encode(tasks, forKey: AnyCodingKey("tasks"))
        try container.encodeIfPresent(manifest, forKey: AnyCodingKey("manifest"))
        try container.encodeIfPresent(library, forKey: AnyCodingKey("libraryRecord"))
    }
}
