import BatonCore
import BatonHTTP
import BatonServices
import BatonStore
import Foundation

/// Flows, their versions, and registering a library by uploading it.
extension API {
    static func flowRoutes(_ c: APIContext) -> [Route] {
        [
            Route(method: "GET", pattern: "/api/flows", summary: "Every flow with its latest version, last run and next scheduled run", tag: "flows", permission: .read, response: "FlowList") { request, caller in
                try Reply.json(Listing(key: "flows", items: try c.services.flows.flows(caller)))
            },
            Route(method: "GET", pattern: "/api/flows/{flow}", summary: "A flow and its versions", tag: "flows", permission: .read, response: "Flow") { request, caller in
                try Reply.json(try c.services.flows.flow(request.path("flow"), caller))
            },
            Route(method: "GET", pattern: "/api/flows/{flow}/versions", summary: "A flow's versions, newest first", tag: "flows", permission: .read, response: "VersionList") { request, caller in
                try Reply.json(Listing(key: "versions", items: try c.services.flows.versions(of: request.path("flow"), caller).reversed()))
            },
            Route(method: "GET", pattern: "/api/flows/{flow}/versions/{version}", summary: "One version (a number or latest) with its parameter schema and tasks, its full manifest and its library", tag: "flows", permission: .read, response: "Version") { request, caller in
                try Reply.json(try c.services.flows.version(of: request.path("flow"), versionChoice(request, "version"), full: true, caller))
            },
            Route(method: "GET", pattern: "/api/flows/{flow}/versions/{version}/diff/{other}", summary: "What changed between two versions", tag: "flows", permission: .read, response: "VersionDiff") { request, caller in
                let a = try versionChoice(request, "version")
                let b = try versionChoice(request, "other")
                return try Reply.json(try c.services.flows.diff(flow: request.path("flow"), a, b, caller))
            },
            Route(method: "POST", pattern: "/api/libraries", summary: "Register a flow library by uploading its bytes: each flow in it gets a new version, live for its next run", tag: "flows", permission: .develop, query: ["label", "fileName", "source"], body: "binary", status: 201, response: "Registration") { request, caller in
                try register(request, caller, c)
            },
        ]
    }

    /// The version named by a path parameter: a number or `latest`.
    static func versionChoice(_ request: HTTPRequest, _ parameter: String) throws -> VersionChoice {
        let text = request.path(parameter)
        guard let choice = VersionChoice(text) else {
            throw APIError.badRequest(VersionChoice.refusal(text, naming: "version"), field: parameter)
        }
        return choice
    }

    private static func register(_ request: HTTPRequest, _ caller: Caller, _ c: APIContext) throws -> HTTPResponse {
        let type = request.headers["Content-Type"]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard type == "application/octet-stream" || type == "application/x-sharedlib" else {
            throw APIError(
                .unsupportedMediaType, "unsupported_media_type",
                "Content-Type '\(type ?? "none")' is not accepted for an upload: expected application/octet-stream with the library's bytes")
        }
        // Served, the route keeps its body in a file (see `API.bodyPolicy`): the library never sits
        // in memory. A request handed over in process may still carry its bytes.
        let upload = RegistrationService.Upload(
            fileName: request.queryString("fileName"), label: request.queryString("label"), source: request.queryString("source"),
            bodyFile: request.bodyFile, bytes: request.body)
        let registered = try c.services.registration.registerUpload(upload, log: c.log, caller)
        return try Reply.json(Listing(key: "registered", items: registered), status: .created)
    }
}
