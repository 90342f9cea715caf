// swift-tools-version:6.0
// A Baton flow package: builds libBikes.so, which `baton register` versions and runs.
import PackageDescription

let package = Package(
    name: "bikes",
    products: [.library(name: "Bikes", type: .dynamic, targets: ["Bikes"])],
    dependencies: [.package(name: "baton", path: "../..")],
    targets: [
        .target(
            name: "Bikes",
            dependencies: [.product(name: "Baton", package: "baton")],
            plugins: [.plugin(name: "BatonEntryPoint", package: "baton")])
    ]
)
