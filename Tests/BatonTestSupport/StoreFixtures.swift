import BatonCore
import BatonStore
import Foundation

// What tests of the store and of the layers above it share: a store in a temporary folder and
// sample registrations.

/// A store file in a fresh temporary folder.
public final class StoreFile: Sendable {
    public let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-store-\(UUID().uuidString)").path
    public var path: String { folder + "/baton.db" }

    public init() throws { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(atPath: folder) }

    public func open() throws -> SQLiteStore { try SQLiteStore(path: path) }
}

public func sampleManifest(_ flows: [String]) -> LibraryManifest {
    let parameters = try! JSONValue(json: #"{"type":"object","properties":{"n":{"type":"integer","default":1,"position":0}}}"#)
    return LibraryManifest(
        abiMajor: 1, abiMinor: 0, swiftCompiler: 60301, sdkVersion: "0.1.0",
        flows: flows.map { FlowManifest(name: $0, description: "the \($0) flow", parameters: parameters, resultType: "Int") },
        tasks: [])
}

public func sampleRegistration(_ hash: String, flows: [String] = ["etl"], label: String? = nil) -> LibraryRegistration {
    LibraryRegistration(
        hash: hash, fileName: "libX.so", path: "/libraries/\(hash)/libX.so", size: 10, manifest: sampleManifest(flows),
        sourcePath: "/src", label: label, registeredBy: "tester")
}
