// swift-tools-version:6.0
// A Baton flow package: builds libTables.so, which `baton register` versions and runs.
import PackageDescription

let package = Package(
    name: "tables",
    products: [.library(name: "Tables", type: .dynamic, targets: ["Tables"])],
    dependencies: [.package(name: "baton", path: "../..")],
    targets: [
        .target(
            name: "Tables",
            dependencies: [.product(name: "Baton", package: "baton")],
            plugins: [.plugin(name: "BatonEntryPoint", package: "baton")])
    ]
)
