import BatonCore
import CBatonABI

/// A magic record: ABI version, Swift compiler and SDK version, as in `baton_magic` (baton.h).
public struct LibraryMagic: Sendable, Hashable, CustomStringConvertible {
    public var abiMajor: UInt32
    public var abiMinor: UInt32
    public var swiftCompiler: UInt32
    public var sdkMajor: UInt32
    public var sdkMinor: UInt32
    public var sdkPatch: UInt32

    init(fields: [UInt32]) {
        abiMajor = fields[1]
        abiMinor = fields[2]
        swiftCompiler = fields[3]
        sdkMajor = fields[4]
        sdkMinor = fields[5]
        sdkPatch = fields[6]
    }

    public init(abiMajor: UInt32, abiMinor: UInt32, swiftCompiler: UInt32, sdkMajor: UInt32, sdkMinor: UInt32, sdkPatch: UInt32) {
        self.abiMajor = abiMajor
        self.abiMinor = abiMinor
        self.swiftCompiler = swiftCompiler
        self.sdkMajor = sdkMajor
        self.sdkMinor = sdkMinor
        self.sdkPatch = sdkPatch
    }

    /// This host's magic.
    public static let host = LibraryMagic(
        abiMajor: BATON_ABI_MAJOR, abiMinor: BATON_ABI_MINOR, swiftCompiler: UInt32(BATON_SWIFT_COMPILER),
        sdkMajor: BATON_SDK_VERSION_MAJOR, sdkMinor: BATON_SDK_VERSION_MINOR, sdkPatch: BATON_SDK_VERSION_PATCH)

    public var abi: String { "\(abiMajor).\(abiMinor)" }
    public var sdk: String { "\(sdkMajor).\(sdkMinor).\(sdkPatch)" }
    public var swift: String { Self.compilerName(swiftCompiler) }

    public var description: String { "ABI \(abi), Swift \(swift), SDK \(sdk)" }

    /// A compiler version number as text: 60301 is "6.3.1".
    public static func compilerName(_ value: UInt32) -> String {
        switch value {
        case 0: "unknown (before 6.2)"
        case 0xFFFF_FFFF: "unknown (newer than the SDK knows)"
        default: "\(value / 10000).\(value / 100 % 100).\(value % 100)"
        }
    }

    /// Every way `library` cannot run in a host with this magic, each naming both sides. Empty when
    /// compatible: the same ABI major version, a minor version the host knows, the same Swift
    /// compiler, and an SDK of the same release line (the same major version, and the same minor
    /// version while the major version is 0).
    public func incompatibilities(of library: LibraryMagic) -> [String] {
        var problems: [String] = []
        if library.abiMajor != abiMajor || library.abiMinor > abiMinor {
            problems.append("Baton ABI version mismatch: host is \(abi), library is \(library.abi)")
        }
        if library.swiftCompiler != swiftCompiler {
            problems.append("Swift compiler mismatch: host is \(swift), library is \(library.swift)")
        }
        if library.sdkMajor != sdkMajor || (sdkMajor == 0 && library.sdkMinor != sdkMinor) {
            problems.append("Baton SDK mismatch: host is \(sdk), library is \(library.sdk)")
        }
        return problems
    }

    /// Throws the refusal for `library` at `path` when it cannot run in this host.
    public func check(library: LibraryMagic, path: String) throws {
        let problems = incompatibilities(of: library)
        guard problems.isEmpty else {
            throw BatonError(
                .incompatibleLibrary,
                "incompatible library '\(path)': \(problems.joined(separator: "; ")); rebuild it with this "
                    + "baton's toolchain and SDK")
        }
    }
}
