// swift-tools-version:6.0
// Flow libraries for Baton's tests: flows that retry, crash and echo parameters, and libraries that
// are broken on purpose (crash or hang while registering, carry another ABI's magic, lack the entry
// point). Built by the integration tests; never registered by users.
import PackageDescription

let baton: [Target.Dependency] = [.product(name: "Baton", package: "baton")]
let entryPoint: [Target.PluginUsage] = [.plugin(name: "BatonEntryPoint", package: "baton")]

let package = Package(
    name: "FixtureFlows",
    products: [
        .library(name: "FixtureFlows", type: .dynamic, targets: ["FixtureFlows"]),
        .library(name: "RegisterCrash", type: .dynamic, targets: ["RegisterCrash"]),
        .library(name: "RegisterHang", type: .dynamic, targets: ["RegisterHang"]),
        .library(name: "Mismatch", type: .dynamic, targets: ["Mismatch"]),
        // Two builds of one flow, `versioned`: version 1 and version 2 without a build during a test.
        .library(name: "VersionedOne", type: .dynamic, targets: ["VersionedOne"]),
        .library(name: "VersionedTwo", type: .dynamic, targets: ["VersionedTwo"]),
        .library(name: "NoEntry", type: .dynamic, targets: ["NoEntry"]),
    ],
    dependencies: [.package(name: "baton", path: "../../..")],
    targets: [
        .target(name: "FixtureFlows", dependencies: baton, plugins: entryPoint),
        .target(name: "RegisterCrash", dependencies: baton, plugins: entryPoint),
        .target(name: "RegisterHang", dependencies: baton, plugins: entryPoint),
        .target(name: "Mismatch"),
        .target(name: "VersionedOne", dependencies: baton, plugins: entryPoint),
        .target(name: "VersionedTwo", dependencies: baton, plugins: entryPoint),
        .target(name: "NoEntry"),
    ]
)
