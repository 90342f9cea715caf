// swift-tools-version:6.0
// A Baton flow package: builds libWindspeed.so, which `baton register` versions and runs.
import PackageDescription

let package = Package(
    name: "windspeed",
    products: [.library(name: "Windspeed", type: .dynamic, targets: ["Windspeed"])],
    dependencies: [.package(name: "baton", path: "../..")],
    targets: [
        .target(
            name: "Windspeed",
            dependencies: [.product(name: "Baton", package: "baton")],
            plugins: [.plugin(name: "BatonEntryPoint", package: "baton")])
    ]
)
