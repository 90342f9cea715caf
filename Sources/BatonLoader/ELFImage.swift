import BatonCore
import Foundation

/// What the host learns from a flow library's file without loading it: that it is a shared library
/// for this machine, that it exports the Baton entry point, and its magic record. Nothing in the file
/// runs, so a library built for another ABI or compiler is refused before any of its code runs.
public struct ELFImage: Sendable {
    public let path: String
    /// The contents of the `.baton_magic` section.
    public let magic: LibraryMagic

    /// Reads and checks the file at `path`.
    public init(path: String) throws {
        self.path = path
        let file = try MappedFile(path: path)
        let bytes = file.bytes
        let notLibrary = { (why: String) in
            BatonError(
                .notALibrary,
                "'\(path)' is not a shared library: \(why); expected a flow library (.so) or a flow package directory")
        }
        guard bytes.count >= 64, bytes[0] == 0x7F, bytes[1] == 0x45, bytes[2] == 0x4C, bytes[3] == 0x46 else {
            throw notLibrary("it has no ELF header")
        }
        guard bytes[4] == 2, bytes[5] == 1 else { throw notLibrary("it is not a 64-bit little-endian ELF file") }
        let reader = ByteReader(bytes: bytes)
        let type = reader.u16(16)
        guard type == 3 else {
            throw notLibrary(type == 2 ? "it is an executable" : type == 1 ? "it is an object file" : "its ELF type is \(type)")
        }
        let machine = reader.u16(18)
        guard machine == Self.hostMachine else {
            throw notLibrary("it is built for ELF machine \(machine), this host is \(Self.hostMachine)")
        }

        let sections = try Self.sections(reader, bytes.count, notLibrary)
        let names = sections.first { $0.index == Int(reader.u16(62)) }
        func sectionName(_ section: Section) -> String {
            guard let names else { return "" }
            return reader.cString(at: Int(names.offset) + Int(section.name))
        }

        // The entry point, from the dynamic symbol table: defined, global, a function.
        var hasEntryPoint = false
        for symbols in sections where symbols.type == 11 /* SHT_DYNSYM */ {
            guard let strings = sections.first(where: { $0.index == Int(symbols.link) }) else { continue }
            let count = symbols.entrySize > 0 ? Int(symbols.size / symbols.entrySize) : 0
            for i in 0..<count {
                let at = Int(symbols.offset) + i * Int(symbols.entrySize)
                guard at + 24 <= bytes.count else { break }
                let info = bytes[at + 4]
                let defined = reader.u16(at + 6) != 0
                guard defined, info >> 4 == 1 || info >> 4 == 2 else { continue }
                if reader.cString(at: Int(strings.offset) + Int(reader.u32(at))) == "baton_library_open" {
                    hasEntryPoint = true
                }
            }
        }
        guard hasEntryPoint else {
            throw BatonError(
                .noEntryPoint,
                "'\(path)' has no Baton entry point (baton_library_open); expected a flow library whose target "
                    + "uses the BatonEntryPoint plugin")
        }

        guard let section = sections.first(where: { sectionName($0) == ".baton_magic" }) else {
            throw BatonError(
                .incompatibleLibrary,
                "incompatible library '\(path)': it exports baton_library_open but carries no Baton magic record "
                    + "(section .baton_magic); rebuild it against the Baton SDK")
        }
        guard section.size == 32, Int(section.offset) + 32 <= bytes.count else {
            throw BatonError(
                .incompatibleLibrary,
                "incompatible library '\(path)': its .baton_magic section holds \(section.size) bytes, expected one "
                    + "32-byte record; link the Baton SDK into the library exactly once")
        }
        magic = LibraryMagic(fields: (0..<8).map { reader.u32(Int(section.offset) + $0 * 4) })
    }

    struct Section {
        var index: Int
        var name: UInt32
        var type: UInt32
        var offset: UInt64
        var size: UInt64
        var link: UInt32
        var entrySize: UInt64
    }

    private static func sections(_ r: ByteReader, _ length: Int, _ fail: (String) -> BatonError) throws -> [Section] {
        // Section headers of a valid ELF file; anything past the end is treated as truncation.
        let offset = Int(clamping: r.u64(40))
        let entrySize = Int(r.u16(58))
        let count = Int(r.u16(60))
        guard entrySize >= 64, offset > 0, offset + count * entrySize <= length else {
            throw fail("its section headers are missing or truncated")
        }
        return (0..<count).map { i in
            let at = offset + i * entrySize
            return Section(
                index: i, name: r.u32(at), type: r.u32(at + 4), offset: r.u64(at + 24), size: r.u64(at + 32),
                link: r.u32(at + 40), entrySize: r.u64(at + 56))
        }
        .filter { $0.type == 8 /* SHT_NOBITS */ || Int(clamping: $0.offset) + Int(clamping: $0.size) <= length }
    }

    static var hostMachine: UInt16 {
        #if arch(x86_64)
        62
        #elseif arch(arm64)
        183
        #else
        0
        #endif
    }
}

/// Little-endian reads at byte offsets of a mapped file, returning 0 past the end.
private struct ByteReader {
    let bytes: UnsafeRawBufferPointer

    func u16(_ at: Int) -> UInt16 {
        guard at >= 0, at + 2 <= bytes.count else { return 0 }
        return UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    func u32(_ at: Int) -> UInt32 {
        guard at >= 0, at + 4 <= bytes.count else { return 0 }
        return (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * $1) }
    }

    func u64(_ at: Int) -> UInt64 {
        guard at >= 0, at + 8 <= bytes.count else { return 0 }
        return (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * $1) }
    }

    func cString(at: Int) -> String {
        guard at >= 0, at < bytes.count else { return "" }
        var end = at
        while end < bytes.count, bytes[end] != 0, end - at < 4096 { end += 1 }
        return String(decoding: bytes[at..<end], as: UTF8.self)
    }
}
