// swift-tools-version:6.0
//
// Baton: workflow orchestration for Swift. No package dependencies: the toolchain and system C
// libraries only (SQLite, libpq, OpenSSL's libcrypto and libssl).
import PackageDescription

let package = Package(
    name: "baton",
    products: [
        // What flow authors import. Linked statically into each flow library, so every version
        // carries its own copy (see DESIGN.md, pitfall 3): never make this `.dynamic`.
        .library(name: "Baton", targets: ["Baton"]),
        .plugin(name: "BatonEntryPoint", targets: ["BatonEntryPoint"]),
        .plugin(name: "BatonRegister", targets: ["BatonRegister"]),
        .executable(name: "baton", targets: ["baton"]),
        .executable(name: "baton-bench", targets: ["baton-bench"]),
    ],
    targets: [
        // The C ABI between host and flow library: header only.
        .target(name: "CBatonABI"),
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CCrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CTLS", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CPostgres", providers: [.apt(["libpq-dev"])]),

        // The SDK flow authors import. Depends on nothing of the host.
        .target(name: "Baton", dependencies: ["CBatonABI"]),

        // The host, layered: core ← process ← loader/store ← engine ← runner ← schedule ← services ← worker ← server ← CLI
        // (and HTTP, which knows nothing of flows, below services: notifications are sent from there).
        .target(name: "BatonCore"),
        .target(name: "BatonLoader", dependencies: ["BatonCore", "CBatonABI", "CCrypto"]),
        // The one home of process concerns: spawning children, pipes, signals, process locks.
        .target(name: "BatonProcess", dependencies: ["BatonCore"]),
        .target(name: "BatonStore", dependencies: ["BatonCore", "BatonProcess", "BatonLoader", "CSQLite", "CPostgres"]),
        .target(name: "BatonEngine", dependencies: ["BatonCore", "BatonLoader", "CBatonABI"]),
        .target(name: "BatonRunner", dependencies: ["BatonCore", "BatonLoader", "BatonEngine", "BatonStore", "BatonProcess"]),
        // The scheduler: schedule arithmetic, the scheduling pass, and which process leads it.
        .target(name: "BatonSchedule", dependencies: ["BatonCore", "BatonStore", "BatonProcess"]),
        // The application layer: every operation a user can ask for, written once, taking the caller.
        // The CLI's local backend calls it in process; the API's handlers parse, call it and encode.
        .target(
            name: "BatonServices",
            dependencies: ["BatonCore", "BatonStore", "BatonSchedule", "BatonLoader", "BatonRunner", "BatonProcess", "BatonHTTP", "CCrypto"]),
        .target(
            name: "BatonWorker",
            dependencies: [
                "BatonCore", "BatonStore", "BatonEngine", "BatonRunner", "BatonServices", "BatonSchedule", "BatonProcess", "BatonHTTP", "BatonLoader",
            ]),
        // A small HTTP/1.1 server and client, HTTPS through libssl, that know nothing of flows.
        .target(name: "BatonHTTP", dependencies: ["CTLS"]),
        // The REST API, live events and the web UI (static files, no build step) over the store.
        .target(
            name: "BatonServer",
            dependencies: ["BatonCore", "BatonStore", "BatonRunner", "BatonSchedule", "BatonServices", "BatonWorker", "BatonHTTP", "BatonProcess"],
            resources: [.copy("Web")]),
        .target(
            name: "BatonCLI",
            dependencies: [
                "BatonCore", "BatonLoader", "BatonStore", "BatonRunner", "BatonServices", "BatonSchedule", "BatonProcess", "BatonWorker",
                "BatonServer", "BatonHTTP",
            ]),
        .executableTarget(name: "baton", dependencies: ["BatonCLI"]),
        .target(
            name: "BatonBench",
            dependencies: ["BatonCore", "BatonStore", "BatonRunner", "BatonSchedule", "BatonServices", "BatonProcess", "BatonWorker", "BatonHTTP"]),
        .executableTarget(name: "baton-bench", dependencies: ["BatonBench"]),

        // Plugins for flow packages.
        .plugin(name: "BatonEntryPoint", capability: .buildTool(), dependencies: ["baton-entry-point"]),
        .executableTarget(name: "baton-entry-point", path: "Sources/BatonEntryPointGenerator"),
        .plugin(
            name: "BatonRegister",
            capability: .command(
                intent: .custom(
                    verb: "baton-register",
                    description: "Build this flow package's library in release and register it with baton"))),

        // What several test targets share: stores in temporary folders, sample registrations, the raw
        // loopback HTTP client.
        .target(name: "BatonTestSupport", dependencies: ["BatonCore", "BatonStore", "BatonHTTP", "BatonProcess"], path: "Tests/BatonTestSupport"),
        .testTarget(name: "BatonCoreTests", dependencies: ["BatonCore"]),
        .testTarget(name: "BatonSDKTests", dependencies: ["Baton", "CBatonABI"]),
        .testTarget(name: "BatonLoaderTests", dependencies: ["BatonLoader", "BatonCore"]),
        .testTarget(name: "BatonStoreTests", dependencies: ["BatonStore", "BatonCore", "BatonTestSupport", "BatonSchedule"]),
        .testTarget(name: "BatonHTTPTests", dependencies: ["BatonHTTP", "BatonTestSupport"]),
        .testTarget(name: "BatonRunnerTests", dependencies: ["BatonRunner", "BatonCore", "BatonEngine"]),
        .testTarget(name: "BatonScheduleTests", dependencies: ["BatonSchedule", "BatonCore", "BatonStore", "BatonTestSupport"]),
        .testTarget(name: "BatonServicesTests", dependencies: ["BatonServices", "BatonSchedule", "BatonStore", "BatonCore", "BatonTestSupport"]),
        .testTarget(name: "BatonServerTests", dependencies: ["BatonCore", "BatonStore", "BatonServer", "BatonHTTP", "BatonTestSupport"]),
        .testTarget(
            name: "BatonIntegrationTests",
            dependencies: [
                "BatonCore", "BatonStore", "BatonEngine", "BatonLoader", "BatonServices", "BatonSchedule", "BatonWorker", "BatonHTTP",
                "BatonTestSupport", "baton",
            ]),
    ]
)
