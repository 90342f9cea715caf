import BatonCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A file mapped read-only into memory: how the loader reads libraries (megabytes each, read on
/// every run to check their hash and header) without copying them or reading them in small pieces.
final class MappedFile {
    let bytes: UnsafeRawBufferPointer

    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { throw BatonError(.notFound, "library '\(path)' does not exist") }
            throw BatonError(.io, "library '\(path)' cannot be read: \(String(cString: strerror(code)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw BatonError(.io, "library '\(path)' cannot be read: \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw BatonError(.invalidInput, "'\(path)' is not a regular file; expected a flow library (.so)")
        }
        let size = Int(info.st_size)
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED else {
            throw BatonError(.io, "library '\(path)' cannot be mapped: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}
