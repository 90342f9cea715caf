import BatonCore
import BatonServices
import Foundation

/// Secrets and variables of a project. A secret's value goes in (`PUT`) and never comes out: listings
/// carry names, who set them and when; only a worker's run reads one (``workerRoutes``).
extension API {
    static func valueRoutes(_ c: APIContext) -> [Route] {
        let values = c.services.values
        return NamedValueKind.allCases.flatMap { kind -> [Route] in
            let plural = "/api/\(kind.rawValue)s"
            let one = plural + "/{name}"
            let schema = kind == .secret ? "Secret" : "Variable"
            var routes = [
                Route(method: "GET", pattern: plural, summary: "The project's \(kind.rawValue)s" + (kind == .secret ? " (names, never values)" : ""), tag: "values", permission: .read, response: schema + "List") { _, caller in
                    try Reply.json(Listing(key: kind.rawValue + "s", items: try values.list(kind, caller)))
                },
                Route(method: "PUT", pattern: one, summary: "Set a \(kind.rawValue)", tag: "values", permission: .develop, body: schema + "Value", response: schema) { request, caller in
                    let body = try request.jsonObject()
                    try body.only(["value"])
                    return try Reply.json(try values.set(kind, name: request.path("name"), value: try body.string("value"), caller))
                },
                Route(method: "DELETE", pattern: one, summary: "Remove a \(kind.rawValue)", tag: "values", permission: .develop, status: 204) { request, caller in
                    try values.remove(kind, name: request.path("name"), caller)
                    return Reply.noContent
                },
            ]
            if kind == .variable {
                routes.append(
                    Route(method: "GET", pattern: one, summary: "A variable and its value", tag: "values", permission: .read, response: schema) { request, caller in
                        try Reply.json(try values.get(kind, name: request.path("name"), caller))
                    })
            }
            return routes
        }
    }
}
