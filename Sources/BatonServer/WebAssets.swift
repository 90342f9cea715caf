import BatonCore
import BatonHTTP
import Foundation

/// The web UI's static files (HTML, CSS and JavaScript in `Sources/BatonServer/Web`, no build step),
/// read into memory once at start-up and served with an ETag so a browser revalidates cheaply.
public struct WebAssets: Sendable {
    private struct Asset: Sendable {
        var bytes: [UInt8]
        var contentType: String
        var etag: String
    }

    private let assets: [String: Asset]
    /// Where they were read from.
    public let root: String

    /// Finds the files: `$BATON_WEB_ROOT`, the resources SwiftPM copies next to the executable, or
    /// this source tree (a development build run from anywhere).
    public static func locate() -> String? {
        var candidates: [String] = []
        if let root = ProcessInfo.processInfo.environment["BATON_WEB_ROOT"] { candidates.append(root) }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
        candidates.append(executable + "/baton_BatonServer.resources/Web")
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/Web")
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/index.html") }
    }

    public init(root: String) throws {
        self.root = root
        var assets: [String: Asset] = [:]
        guard let walker = FileManager.default.enumerator(atPath: root) else {
            throw BatonError(.io, "the web UI's files cannot be read from \(root)")
        }
        while let relative = walker.nextObject() as? String {
            let path = root + "/" + relative
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                let data = FileManager.default.contents(atPath: path)
            else { continue }
            let bytes = [UInt8](data)
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            assets["/" + relative] = Asset(bytes: bytes, contentType: Self.contentType(relative), etag: "\"\(String(hash, radix: 16))\"")
        }
        if let index = assets["/index.html"] { assets["/"] = index }
        self.assets = assets
    }

    public var count: Int { assets.count }

    /// The file for a GET of `request.path`, 304 when the browser has it, nil when there is none.
    public func response(to request: HTTPRequest) -> HTTPResponse? {
        guard let asset = assets[request.path] else { return nil }
        if request.headers["If-None-Match"] == asset.etag {
            var response = HTTPResponse(status: .notModified)
            response.headers.set("ETag", asset.etag)
            return response
        }
        var response = HTTPResponse.bytes(asset.bytes, contentType: asset.contentType)
        response.headers.set("ETag", asset.etag)
        response.headers.set("Cache-Control", "no-cache")
        return response
    }

    private static func contentType(_ name: String) -> String {
        switch (name as NSString).pathExtension {
        case "html": "text/html; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "json": "application/json"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        default: "application/octet-stream"
        }
    }
}
