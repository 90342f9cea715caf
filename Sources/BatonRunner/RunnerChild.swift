import BatonCore
import BatonEngine
import BatonLoader
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The runner: the lean mode of the `baton` executable that a parent starts as a child process to load
/// one library version and either read its manifest or run one flow run of it. The parent never loads
/// flow code itself, so a flow that crashes takes only this child down.
///
///     baton runner manifest <library>   writes the library's manifest, or why it cannot be loaded
///     baton runner run                  reads a `start` message on fd 4 and runs it
public enum RunnerChild {
    public static func main(_ arguments: [String]) async -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        let channel = MessageChannel()
        switch arguments.first {
        case "manifest" where arguments.count == 2:
            do {
                let library = try FlowRunEngine.load(libraryPath: arguments[1])
                channel.send(.manifest(String(decoding: library.manifestData, as: UTF8.self)))
            } catch {
                channel.send(failure(error))
            }
            return 0
        case "run" where arguments.count == 1:
            guard case .start(let path, let hash, let spec)? = channel.receive() else {
                channel.send(.failure(code: .runner, message: "the runner expected a start message"))
                return 2
            }
            do {
                try LibraryStore.verify(path: path, hash: hash)
                let library = try FlowRunEngine.load(libraryPath: path)
                await FlowRunEngine(library: library, spec: spec, sink: channel).run()
            } catch {
                channel.send(failure(error))
            }
            return 0
        default:
            FileHandle.standardError.write(Data("baton runner is started by baton itself, not by hand\n".utf8))
            return 2
        }
    }

    private static func failure(_ error: any Error) -> RunnerMessage {
        if let error = error as? BatonError { return .failure(code: error.code, message: error.message) }
        return .failure(code: .runner, message: String(describing: error))
    }
}

/// The child's side of the pipes: messages to the parent on fd 3, from it on fd 4.
final class MessageChannel: RunEventSink {
    private let lock = Mutex(())

    func emit(_ event: RunEvent) { send(.event(event)) }

    func send(_ message: RunnerMessage) {
        guard let bytes = try? message.frame() else { return }
        lock.withLock { _ in
            var offset = 0
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes { write(3, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                // The parent is gone: nobody will record what this run does, so stop it.
                if n <= 0 { _exit(3) }
                offset += n
            }
        }
    }

    func receive() -> RunnerMessage? {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            if let message = try? RunnerMessage.unframe(&buffer).first { return message }
            let n = chunk.withUnsafeMutableBytes { read(4, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            buffer += chunk[..<n]
        }
    }
}
