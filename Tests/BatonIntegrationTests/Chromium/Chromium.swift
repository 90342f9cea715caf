import Foundation
import Testing

/// A headless Chromium driven through the DevTools protocol over `--remote-debugging-pipe`, for UI tests.
///
/// Each instance is its own browser with a fresh profile; `close()` (or deinit) kills it and removes
/// the profile. Tests that need it say `@Test(.requiresChromium)`.
///
/// ```swift
/// let page = try Chromium().open("http://127.0.0.1:\(port)/")
/// try page.click("#run")
/// try page.waitFor("document.querySelector('.state')?.textContent === 'Completed'")
/// ```
final class Chromium: Sendable {
    /// Whether a Chromium binary is installed.
    static var isAvailable: Bool { executable != nil }

    /// The browser binary: Debian's real binary rather than its wrapper script (which adds flags
    /// and noise), else the first of the usual names on `PATH`.
    static let executable: String? = {
        let fm = FileManager.default
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        let names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
        let candidates = ["/usr/lib/chromium/chromium"] + names.flatMap { name in path.map { "\($0)/\(name)" } } + ["/usr/bin/chromium"]
        return candidates.first { fm.isExecutableFile(atPath: $0) }
    }()

    /// The profile directory, named in the browser's command line as `--user-data-dir=<this>`.
    let profileDirectory: String
    /// What Chromium calls itself, such as `Chrome/156.0.8078.79`.
    let version: String
    let connection: CDPConnection
    private let scratch: String

    /// Starts headless Chromium with a fresh profile and checks that it answers on the pipe.
    init() throws {
        guard let executable = Self.executable else {
            throw ChromiumError(.launchFailed, "no Chromium found on PATH or at /usr/lib/chromium: install it (apt-get install chromium)")
        }
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("baton-chromium-\(UUID().uuidString.prefix(8))").path
        profileDirectory = scratch + "/profile"
        try FileManager.default.createDirectory(atPath: profileDirectory, withIntermediateDirectories: true)
        let arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--user-data-dir=\(profileDirectory)",
            "--window-size=1400,1000", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--disable-sync", "--mute-audio",
            // Docker gives /dev/shm 64 MB, too little for Chromium's shared memory; /tmp has room.
            "--disable-dev-shm-usage", "about:blank",
        ]
        do {
            connection = try CDPConnection.launch(executable, arguments, logPath: scratch + "/stderr.log")
        } catch {
            try? FileManager.default.removeItem(atPath: scratch)
            throw error
        }
        do {
            version = try connection.call("Browser.getVersion")["product"] as? String ?? "unknown"
        } catch {
            connection.shutdown()
            try? FileManager.default.removeItem(atPath: scratch)
            throw error
        }
    }

    deinit { close() }

    /// Opens a new page, navigates it to `url`, and returns once its load event has fired.
    func open(_ url: String) throws -> ChromiumPage {
        let target = try connection.call("Target.createTarget", ["url": "about:blank"])["targetId"] as? String ?? ""
        let attached = try connection.call("Target.attachToTarget", ["targetId": target, "flatten": true])
        guard let session = attached["sessionId"] as? String else {
            throw ChromiumError(.protocolError, "Target.attachToTarget returned no sessionId: \(attached)")
        }
        let page = ChromiumPage(browser: self, session: session)
        try connection.call("Page.enable", session: session)
        try connection.call("Runtime.enable", session: session)
        try connection.call("Page.setLifecycleEventsEnabled", ["enabled": true], session: session)
        try page.navigate(url)
        return page
    }

    /// Ends the browser (politely, then by SIGKILL to its process group) and removes its profile.
    func close() {
        connection.shutdown()
        try? FileManager.default.removeItem(atPath: scratch)
    }
}

/// One page (tab) of a `Chromium`, reached through its flattened DevTools session.
///
/// Tests wait only through `waitFor`, which polls a condition inside the page; never sleep.
/// The page keeps its browser alive.
final class ChromiumPage: Sendable {
    let browser: Chromium
    let session: String

    init(browser: Chromium, session: String) {
        self.browser = browser
        self.session = session
    }

    /// Console errors and uncaught exceptions seen so far, one line each.
    var consoleErrors: [String] { browser.connection.consoleErrors(session: session) }

    /// Evaluates a JavaScript expression, awaiting it if it is a promise, and returns its value as
    /// JSON-decoded `Any` (`NSNumber`, `String`, arrays, dictionaries); nil for `undefined` and `null`.
    func evaluate(_ expression: String) throws -> Any? {
        try evaluate(expression, timeout: 30)
    }

    /// Evaluates a JavaScript expression and decodes its JSON value as `T`.
    func evaluate<T: Decodable>(_ expression: String, as type: T.Type) throws -> T {
        let value = try evaluate(expression) ?? NSNull()
        let data = try JSONSerialization.data(withJSONObject: value, options: .fragmentsAllowed)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw ChromiumError(.scriptFailed, "`\(expression)` returned \(String(decoding: data, as: UTF8.self)), not a \(T.self): \(error)")
        }
    }

    /// Waits until the JavaScript `condition` is truthy, checking it on every animation frame and DOM
    /// change (a condition that throws counts as false). On timeout, throws an error naming the
    /// condition, its last exception and the start of the page's text.
    func waitFor(_ condition: String, timeout: Double = 20) throws {
        let script = """
            new Promise((resolve) => {
              const condition = () => (\(condition)\n);
              const deadline = Date.now() + \(Int(timeout * 1000));
              let lastError = null, done = false, observer = null, interval = null, timer = null;
              const finish = (ok) => {
                if (done) return;
                done = true;
                observer.disconnect(); clearInterval(interval); clearTimeout(timer);
                resolve(ok ? null : { lastError, text: document.body ? document.body.innerText.slice(0, 400) : '' });
              };
              const check = () => {
                if (done) return;
                try { if (condition()) return finish(true); lastError = null; } catch (e) { lastError = String(e); }
                if (Date.now() >= deadline) return finish(false);
                requestAnimationFrame(check);
              };
              observer = new MutationObserver(check);
              observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
              // Animation frames pause in a hidden page; the interval keeps checking there.
              interval = setInterval(check, 100);
              timer = setTimeout(check, \(Int(timeout * 1000)));
              check();
            })
            """
        let outcome = try evaluate(script, timeout: timeout + 10, shown: "waitFor(`\(condition)`)")
        guard let failure = outcome as? [String: Any] else { return }
        let lastError = (failure["lastError"] as? String).map { "; it last threw \($0)" } ?? ""
        let text = (failure["text"] as? String ?? "").replacingOccurrences(of: "\n", with: " ⏎ ")
        throw ChromiumError(
            .conditionTimedOut, "waited \(Self.seconds(timeout)) for `\(condition)`\(lastError); the page reads: \"\(text)\"")
    }

    /// Clicks the element `selector` matches (`element.click()`); throws if none does.
    func click(_ selector: String) throws {
        try evaluate("\(try element(selector, "click")).click()", shown: "click(\(try Self.literal(selector)))")
    }

    /// Sets an input's or textarea's value as typing would, firing `input` and `change`.
    func fill(_ selector: String, _ value: String) throws {
        try setValue(selector, value, "fill")
    }

    /// Chooses the option of a `<select>` whose value is `value`, firing `input` and `change`; throws
    /// if there is no such option.
    func select(_ selector: String, value: String) throws {
        try setValue(selector, value, "select")
    }

    /// Navigates to `url` and returns once the load event has fired (at once for a same-document
    /// navigation, such as a new fragment).
    func navigate(_ url: String) throws {
        let result = try browser.connection.call("Page.navigate", ["url": url], session: session)
        if let error = result["errorText"] as? String, !error.isEmpty {
            throw ChromiumError(.navigationFailed, "cannot open \(url): \(error)")
        }
        guard let loader = result["loaderId"] as? String else { return }
        do {
            try browser.connection.waitForLoad(loader, session: session)
        } catch let error as ChromiumError where error.code == .timedOut {
            throw ChromiumError(.timedOut, "\(url) did not finish loading: \(error.message)")
        }
    }

    /// Captures the viewport as a PNG file at `path`.
    func screenshot(to path: String) throws {
        let result = try browser.connection.call("Page.captureScreenshot", ["format": "png"], session: session)
        guard let data = (result["data"] as? String).flatMap({ Data(base64Encoded: $0) }) else {
            throw ChromiumError(.protocolError, "Page.captureScreenshot returned no image")
        }
        do {
            try data.write(to: URL(fileURLWithPath: path))
        } catch {
            throw ChromiumError(.io, "cannot write the screenshot to \(path): \(error)")
        }
    }

    // MARK: Helpers

    /// Evaluates `expression`; errors show it as `shown` (the expression itself if nil).
    @discardableResult
    private func evaluate(_ expression: String, timeout: Double = 30, shown: String? = nil) throws -> Any? {
        let params: [String: Any] = ["expression": expression, "awaitPromise": true, "returnByValue": true]
        let result = try browser.connection.call("Runtime.evaluate", params, session: session, timeout: timeout)
        if let details = result["exceptionDetails"] as? [String: Any] {
            let exception = (details["exception"] as? [String: Any])?["description"] as? String
            let text = exception ?? details["text"] as? String ?? "\(details)"
            throw ChromiumError(.scriptFailed, "\(shown ?? "`\(expression)`") threw \(text)")
        }
        let value = (result["result"] as? [String: Any])?["value"]
        return value is NSNull ? nil : value
    }

    private func setValue(_ selector: String, _ value: String, _ action: String) throws {
        let target = try element(selector, action)
        let literal = try Self.literal(value)
        let check = action == "select"
            ? "if (![...element.options].some((o) => o.value === \(literal))) throw new Error('select: ' + \(try Self.literal(selector)) + ' has no option ' + \(literal));"
            : ""
        try evaluate(
            """
            (() => {
              const element = \(target);
              \(check)
              // The prototype's setter, so frameworks that track the value see the change.
              Object.getOwnPropertyDescriptor(Object.getPrototypeOf(element), 'value').set.call(element, \(literal));
              element.dispatchEvent(new Event('input', { bubbles: true }));
              element.dispatchEvent(new Event('change', { bubbles: true }));
            })()
            """, shown: "\(action)(\(try Self.literal(selector)), \(literal))")
    }

    /// A JavaScript expression for the element `selector` matches, throwing a clear error if none does.
    private func element(_ selector: String, _ action: String) throws -> String {
        let literal = try Self.literal(selector)
        return "(document.querySelector(\(literal)) ?? (() => { throw new Error('\(action): no element matches ' + \(literal)); })())"
    }

    /// `text` as a JavaScript string literal (JSON strings are valid JavaScript).
    private static func literal(_ text: String) throws -> String {
        String(decoding: try JSONEncoder().encode(text), as: UTF8.self)
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}

/// A failure driving Chromium; the message names the command or expression and what went wrong.
struct ChromiumError: Error, CustomStringConvertible {
    enum Code: Sendable {
        /// Chromium could not be found or started.
        case launchFailed
        /// Chromium exited (or its pipe closed) while a command or event was awaited.
        case exited
        /// A page crashed or was closed while a command or event was awaited.
        case pageLost
        /// No reply or event within the deadline.
        case timedOut
        /// Chromium answered a command with an error.
        case protocolError
        /// Navigation failed, such as a refused connection.
        case navigationFailed
        /// A JavaScript expression threw, or an element was missing.
        case scriptFailed
        /// `waitFor`'s condition did not become true in time.
        case conditionTimedOut
        /// A file could not be written.
        case io
    }

    let code: Code
    let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    var description: String { message }
}

extension Trait where Self == ConditionTrait {
    /// Skips a test, saying why, when no Chromium is installed.
    static var requiresChromium: Self {
        .enabled(if: Chromium.isAvailable, "needs a Chromium binary on PATH (apt-get install chromium)")
    }
}
