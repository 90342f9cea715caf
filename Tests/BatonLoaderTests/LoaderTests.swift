import BatonCore
import Foundation
import Testing

@testable import BatonLoader

@Suite struct ELFImageTests {
    func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("baton-loader-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func textIsNotASharedLibrary() throws {
        let file = try scratch() + "/text.so"
        try "hello".write(toFile: file, atomically: true, encoding: .utf8)
        let error = #expect(throws: BatonError.self) { try ELFImage(path: file) }
        #expect(error?.code == .notALibrary)
        #expect(error?.message.contains("no ELF header") == true)
    }

    @Test func aSystemLibraryHasNoEntryPoint() throws {
        let candidates = ["/usr/lib/x86_64-linux-gnu/libsqlite3.so.0", "/usr/lib/aarch64-linux-gnu/libsqlite3.so.0"]
        let path = try #require(candidates.first { FileManager.default.fileExists(atPath: $0) })
        let error = #expect(throws: BatonError.self) { try ELFImage(path: path) }
        #expect(error?.code == .noEntryPoint)
    }

    @Test func aTruncatedLibraryIsRefused() throws {
        let candidates = ["/usr/lib/x86_64-linux-gnu/libsqlite3.so.0", "/usr/lib/aarch64-linux-gnu/libsqlite3.so.0"]
        let source = try #require(candidates.first { FileManager.default.fileExists(atPath: $0) })
        let file = try scratch() + "/truncated.so"
        try Data(contentsOf: URL(fileURLWithPath: source)).prefix(2000).write(to: URL(fileURLWithPath: file))
        let error = #expect(throws: BatonError.self) { try ELFImage(path: file) }
        #expect(error?.code == .notALibrary)
    }

    @Test func aMissingFileIsNotFound() {
        let error = #expect(throws: BatonError.self) { try ELFImage(path: "/no/such/lib.so") }
        #expect(error?.code == .notFound)
    }
}

@Suite struct LibraryMagicTests {
    let host = LibraryMagic(abiMajor: 1, abiMinor: 2, swiftCompiler: 60301, sdkMajor: 0, sdkMinor: 1, sdkPatch: 0)

    @Test func anIdenticalOrOlderMinorLibraryIsCompatible() {
        #expect(host.incompatibilities(of: host).isEmpty)
        var older = host
        older.abiMinor = 0
        older.sdkPatch = 9
        #expect(host.incompatibilities(of: older).isEmpty)
    }

    @Test func eachMismatchNamesBothSides() {
        let library = LibraryMagic(abiMajor: 2, abiMinor: 0, swiftCompiler: 60200, sdkMajor: 0, sdkMinor: 2, sdkPatch: 0)
        #expect(
            host.incompatibilities(of: library) == [
                "Baton ABI version mismatch: host is 1.2, library is 2.0",
                "Swift compiler mismatch: host is 6.3.1, library is 6.2.0",
                "Baton SDK mismatch: host is 0.1.0, library is 0.2.0",
            ])
        var newer = host
        newer.abiMinor = 3
        #expect(host.incompatibilities(of: newer) == ["Baton ABI version mismatch: host is 1.2, library is 1.3"])
        let error = #expect(throws: BatonError.self) { try host.check(library: library, path: "/x/libA.so") }
        #expect(error?.code == .incompatibleLibrary)
        #expect(error?.message.hasPrefix("incompatible library '/x/libA.so': ") == true)
    }

    @Test func thisHostsMagicComesFromTheHeader() {
        #expect(LibraryMagic.host.abi == "1.2")
        #expect(LibraryMagic.host.swiftCompiler >= 60200)
    }
}

@Suite struct LibraryStoreTests {
    @Test func sha256MatchesAKnownVector() {
        #expect(SHA256.hex(of: Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func aCommittedLibraryIsReadOnlyContentAddressedAndStoredOnce() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("baton-store-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let home = BatonHome(path: root + "/home")
        let source = root + "/libX.so"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try Data("pretend library".utf8).write(to: URL(fileURLWithPath: source))
        let store = LibraryStore(home: home)

        let first = try store.stage(source)
        #expect(first.hash == SHA256.hex(of: Data("pretend library".utf8)))
        let path = try store.commit(first)
        #expect(path == home.librariesPath + "/\(first.hash)/libX.so")
        let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(permissions == 0o444)

        let second = try store.stage(source)
        #expect(try store.commit(second) == path, "identical content is stored once")
        #expect(try FileManager.default.contentsOfDirectory(atPath: home.stagingPath).isEmpty)
        try store.verify(path: path, hash: first.hash)
        #expect(throws: BatonError.self) { try store.verify(path: path, hash: String(repeating: "0", count: 64)) }
    }
}
