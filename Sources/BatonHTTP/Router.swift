/// Routes requests by method and path pattern to handlers.
///
/// A pattern is a path whose segments are literals or `{name}` parameters, e.g.
/// `/api/flows/{flow}/versions/{n}`. A parameter matches one non-empty segment, percent-decoded (so
/// `a%2Fb` gives "a/b"). When several patterns match, the one whose first differing segment is a
/// literal wins, whatever the order they were added in; among equals, the first added wins.
/// HEAD requests match GET routes unless a HEAD route matches; the server drops the body.
///
///     var router = Router()
///     router.add("GET", "/api/flows/{flow}") { request in .text(request.pathParameters["flow"]!) }
///     let server = HTTPServer(configuration: configuration, handler: { try router.respond(to: $0) })
public struct Router: Sendable {
    /// A route's handler.
    public typealias Handler = @Sendable (HTTPRequest) throws -> HTTPResponse

    private struct Route: Sendable {
        let method: String
        let pattern: String
        let segments: [Segment]
        let body: RequestBody?
        let handler: Handler
    }

    private enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    private var table: [Route] = []

    /// An empty router.
    public init() {}

    /// Adds a route. The pattern must start with "/"; a segment is either all literal or one whole
    /// `{name}`, and a name occurs once per pattern. `body` says where its request bodies go and
    /// their limit (nil: the server's default), as `bodyPolicy(for:)` reports.
    public mutating func add(_ method: String, _ pattern: String, body: RequestBody? = nil, _ handler: @escaping Handler) {
        precondition(pattern.hasPrefix("/"), "route pattern \(pattern) must start with /")
        let segments = Self.split(Substring(pattern)).map { piece -> Segment in
            guard piece.hasPrefix("{") && piece.hasSuffix("}") && piece.count > 2 else {
                precondition(!piece.contains("{") && !piece.contains("}"), "route pattern \(pattern): a {name} must be a whole segment")
                return .literal(String(piece))
            }
            return .parameter(String(piece.dropFirst().dropLast()))
        }
        table.append(Route(method: method, pattern: pattern, segments: segments, body: body, handler: handler))
    }

    /// The routes as (method, pattern), in the order they were added.
    public var routes: [(method: String, pattern: String)] {
        table.map { (method: $0.method, pattern: $0.pattern) }
    }

    /// The handler and path parameters for `request`, or why there is none. `allowed` lists the
    /// methods of the routes whose pattern matched, in the order added, with HEAD after GET.
    public func match(_ request: HTTPRequest) -> RouteMatch {
        switch best(request) {
        case .success(let (route, parameters)): .found(route.handler, parameters)
        case .failure(let failure): failure.match
        }
    }

    /// Where the body of `request` goes, as its route declared; nil when it declared nothing or no
    /// route matches. For `HTTPServerConfiguration.bodyPolicy`.
    public func bodyPolicy(for request: HTTPRequest) -> RequestBody? {
        guard case .success(let (route, _)) = best(request) else { return nil }
        return route.body
    }

    /// The pattern of the route that answers `request` (e.g. "/api/flows/{flow}"), for metrics and
    /// logs that must not hold one entry per path.
    public func pattern(for request: HTTPRequest) -> String? {
        guard case .success(let (route, _)) = best(request) else { return nil }
        return route.pattern
    }

    private struct NoRoute: Error {
        let match: RouteMatch
    }

    private func best(_ request: HTTPRequest) -> Result<(Route, [String: String]), NoRoute> {
        let path = Self.split(RequestTarget(request.target).path).map { PercentDecoding.decode($0, plusIsSpace: false) }
        let candidates = table.filter { Self.matches($0.segments, path) }
        guard !candidates.isEmpty else { return .failure(NoRoute(match: .notFound)) }
        var accepting = candidates.filter { $0.method == request.method }
        if accepting.isEmpty && request.method == "HEAD" { accepting = candidates.filter { $0.method == "GET" } }
        guard var best = accepting.first else {
            var allowed: [String] = []
            for route in candidates where !allowed.contains(route.method) {
                allowed.append(route.method)
                if route.method == "GET" && !candidates.contains(where: { $0.method == "HEAD" }) { allowed.append("HEAD") }
            }
            return .failure(NoRoute(match: .methodNotAllowed(allowed: allowed)))
        }
        for route in accepting.dropFirst() where Self.moreSpecific(route.segments, than: best.segments) {
            best = route
        }
        var parameters: [String: String] = [:]
        for (segment, value) in zip(best.segments, path) {
            if case .parameter(let name) = segment { parameters[name] = value }
        }
        return .success((best, parameters))
    }

    /// Calls the matching handler with `pathParameters` filled in; otherwise answers 404, or 405 with
    /// an `Allow` header, with bodies made by `fallback` (plain text by default).
    public func respond(
        to request: HTTPRequest,
        fallback: (HTTPStatus, String) -> HTTPResponse = { .text($1 + "\n", status: $0) }
    ) throws -> HTTPResponse {
        switch match(request) {
        case .found(let handler, let parameters):
            var request = request
            request.pathParameters = parameters
            return try handler(request)
        case .methodNotAllowed(let allowed):
            var response = fallback(.methodNotAllowed, "\(request.method) is not allowed on \(request.path)")
            response.headers.set("Allow", allowed.joined(separator: ", "))
            return response
        case .notFound:
            return fallback(.notFound, "no route for \(request.path)")
        }
    }

    /// "/a/b/" → ["a", "b", ""]: a trailing slash is a segment of its own, so "/a/" is not "/a".
    private static func split(_ path: Substring) -> [Substring] {
        Array(path.split(separator: "/", omittingEmptySubsequences: false).dropFirst())
    }

    private static func matches(_ segments: [Segment], _ path: [String]) -> Bool {
        guard segments.count == path.count else { return false }
        return zip(segments, path).allSatisfy { segment, value in
            switch segment {
            case .literal(let literal): literal == value
            case .parameter: !value.isEmpty
            }
        }
    }

    private static func moreSpecific(_ a: [Segment], than b: [Segment]) -> Bool {
        for (x, y) in zip(a, b) {
            switch (x, y) {
            case (.literal, .parameter): return true
            case (.parameter, .literal): return false
            default: continue
            }
        }
        return false
    }
}

/// The outcome of routing one request.
public enum RouteMatch: Sendable {
    /// A route matched: its handler and the values of its `{name}` segments.
    case found(Router.Handler, [String: String])
    /// Some pattern matched the path but none for this method; `allowed` is for the `Allow` header.
    case methodNotAllowed(allowed: [String])
    /// No pattern matched the path.
    case notFound
}
