import Baton
import Foundation

struct CacheParams: FlowParameters {
    var x = 1
    var refresh = false
}

/// Returns its input with the process id that computed it, so a cache hit is visible.
let expensive = task("expensive") { (x: Int) -> String in "x=\(x) computed by pid \(getpid())" }
    .cache(.inputs)

let versioned = task("versioned") { (x: Int) -> String in "x=\(x) computed by pid \(getpid())" }
    .cache(.inputsAndVersion)

let shortLived = task("short-lived") { (x: Int) -> String in "x=\(x) computed by pid \(getpid())" }
    .cache(.key { "bucket-\($0 % 10)" }, expiration: .milliseconds(1))

let refreshed = task("refreshed") { (x: Int) -> String in "x=\(x) computed by pid \(getpid())" }
    .cache(.inputs, refresh: true)

let caching = Flow("caching", description: "Cached tasks under each policy") { (params: CacheParams) -> [String] in
    [try await expensive(params.x), try await versioned(params.x), try await shortLived(params.x)]
        + (params.refresh ? [try await refreshed(params.x)] : [])
}
