import BatonCore
import BatonHTTP
import BatonServices
import BatonStore
import Foundation

/// Request latencies by route pattern, method and status class, kept as Prometheus histograms.
///
/// `@unchecked Sendable`: `series` is only touched under `lock`.
public final class RequestMetrics: @unchecked Sendable {
    /// Upper bounds of the latency buckets, in seconds.
    static let bounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    struct Key: Hashable, Comparable {
        var route: String
        var method: String
        var status: String

        static func < (a: Key, b: Key) -> Bool { (a.route, a.method, a.status) < (b.route, b.method, b.status) }
    }

    struct Histogram {
        var buckets = [Int](repeating: 0, count: RequestMetrics.bounds.count)
        var count = 0
        var sum = 0.0
    }

    private let lock = NSLock()
    private var series: [Key: Histogram] = [:]

    public init() {}

    /// Counts one request answered with `status` after `seconds`; `route` is its pattern, never its
    /// path, so the series stay few.
    public func observe(route: String, method: String, status: Int, seconds: Double) {
        let key = Key(route: route, method: method, status: "\(status / 100)xx")
        lock.withLock {
            var histogram = series[key] ?? Histogram()
            for (index, bound) in Self.bounds.enumerated() where seconds <= bound { histogram.buckets[index] += 1 }
            histogram.count += 1
            histogram.sum += seconds
            series[key] = histogram
        }
    }

    var snapshot: [(Key, Histogram)] { lock.withLock { series.sorted { $0.key < $1.key } } }
}

/// `GET /metrics`: the store's figures and the request latencies in Prometheus's text format 0.0.4.
extension API {
    static func metricsRoutes(_ c: APIContext) -> [Route] {
        [
            Route(method: "GET", pattern: "/metrics", summary: "Metrics in Prometheus's text format: runs by state, task runs completed, late runs, queue depth, live workers, store size, request latencies", tag: "system", permission: .read, response: "Metrics") { request, caller in
                let text = MetricsText.render(try c.services.system.metrics(now: Date(), caller), c.requests)
                return .bytes(Array(text.utf8), contentType: "text/plain; version=0.0.4; charset=utf-8")
            },
        ]
    }
}

/// The exposition format: each metric's `# HELP` and `# TYPE` lines, then its samples.
enum MetricsText {
    static func render(_ store: StoreMetrics, _ requests: RequestMetrics) -> String {
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: [(String, String)], value: String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for sample in samples { out += name + labels(sample.labels) + " " + sample.value + "\n" }
        }
        metric("baton_flow_runs", "gauge", "Flow runs in the store by state type.",
               store.runsByState.sorted { $0.key < $1.key }.map { ([("state", $0.key)], "\($0.value)") })
        metric("baton_task_runs_completed_total", "counter", "Task runs completed; task runs per second is rate() of it.",
               [([], "\(store.taskRunsCompleted)")])
        metric("baton_flow_runs_late", "gauge", "Scheduled flow runs that read as Late: not started within the grace period of their time.",
               [([], "\(store.lateRuns)")])
        metric("baton_queue_depth", "gauge", "Flow runs due and not yet claimed, by work pool.",
               store.queueDepth.sorted { $0.key < $1.key }.map { ([("pool", $0.key)], "\($0.value)") })
        metric("baton_workers_live", "gauge", "Workers (servers' built-in ones included) that have not stopped, by work pool.",
               store.liveWorkers.sorted { $0.key < $1.key }.map { ([("pool", $0.key)], "\($0.value)") })
        metric("baton_store_size_bytes", "gauge", "The store's size on disk in bytes (SQLite: its file and write-ahead log; PostgreSQL: its database).", [([], "\(store.sizeBytes)")])

        let name = "baton_http_request_duration_seconds"
        out += "# HELP \(name) Time to answer an HTTP request, by route pattern, method and status class.\n# TYPE \(name) histogram\n"
        for (key, histogram) in requests.snapshot {
            let base: [(String, String)] = [("route", key.route), ("method", key.method), ("status", key.status)]
            for (bound, count) in zip(RequestMetrics.bounds, histogram.buckets) {
                out += "\(name)_bucket\(labels(base + [("le", number(bound))])) \(count)\n"
            }
            out += "\(name)_bucket\(labels(base + [("le", "+Inf")])) \(histogram.count)\n"
            out += "\(name)_sum\(labels(base)) \(number(histogram.sum))\n"
            out += "\(name)_count\(labels(base)) \(histogram.count)\n"
        }
        return out
    }

    static func labels(_ pairs: [(String, String)]) -> String {
        guard !pairs.isEmpty else { return "" }
        return "{" + pairs.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
    }

    /// Label values escape backslash, double quote and line feed.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
