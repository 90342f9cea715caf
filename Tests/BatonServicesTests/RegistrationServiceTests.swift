import BatonCore
import BatonServices
import BatonStore
import BatonTestSupport
import Foundation
import Testing

/// Registering through the application layer: what is refused, and what an upload leaves behind.
@Suite struct RegistrationServiceTests {
    @Test func anEmptyUploadOrABadFileNameIsRefusedNamingTheInput() throws {
        let f = try ServiceFixture()
        let empty = #expect(throws: BatonError.self) {
            try f.services.registration.registerUpload(
                .init(fileName: "libX.so", label: nil, source: nil, bodyFile: nil, bytes: []), log: { _ in }, f.caller)
        }
        #expect(empty?.code == .invalidInput)
        #expect(empty?.message == "the upload is empty: expected the bytes of a flow library (.so)")
        for name in ["libX.dylib", "../libX.so", ".libX.so"] {
            let bad = #expect(throws: BatonError.self) {
                try f.services.registration.registerUpload(
                    .init(fileName: name, label: nil, source: nil, bodyFile: nil, bytes: [1, 2, 3]), log: { _ in }, f.caller)
            }
            #expect(bad?.field == "fileName")
            #expect(bad?.message.hasPrefix("fileName '\(name)' is not valid") == true)
        }
    }

    @Test func anUploadThatIsNotALibraryIsRefusedByItsNameAndLeavesNothing() throws {
        let f = try ServiceFixture()
        let logged = Locked<[String]>([])
        let error = #expect(throws: BatonError.self) {
            try f.services.registration.registerUpload(
                .init(fileName: "libNotOne.so", label: nil, source: nil, bodyFile: nil, bytes: Array("not an ELF file".utf8)),
                log: { line in logged.withLock { $0.append(line) } }, f.caller)
        }
        #expect(error?.code == .notALibrary)
        #expect(error?.message.hasPrefix("the uploaded file 'libNotOne.so' is not a shared library") == true)
        #expect(error?.message.contains(f.home.path) == false)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: f.home.path + "/uploads")) ?? []).isEmpty)
        #expect(logged.withLock { $0 }.isEmpty)
        #expect(try f.store.flows().isEmpty)
    }

    @Test func aPathThatIsNeitherALibraryNorAPackageIsRefused() throws {
        let f = try ServiceFixture()
        let missing = #expect(throws: BatonError.self) {
            try f.services.registration.register(path: f.home.path + "/nope.so", label: nil, source: nil, timeout: 30, progress: { _ in }, f.caller)
        }
        #expect(missing?.code == .notFound)
        let folder = f.home.path + "/not-a-package"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let directory = #expect(throws: BatonError.self) {
            try RegistrationService.buildPackage(at: folder, timeout: 30, progress: { _ in })
        }
        #expect(directory?.code == .invalidInput)
        #expect(directory?.message.contains("is a directory without Package.swift") == true)
    }
}
