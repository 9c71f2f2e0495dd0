public import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A `chromedriver` child process driving headless Chromium over the W3C WebDriver protocol.
///
/// Everything the browser writes (profiles, crash database, the driver's log) lives under one
/// temporary directory, `root`, so `stop()` can find every process it left behind by looking
/// for that path in command lines (what `pgrep -f root` does). The driver is spawned with
/// posix_spawn in its own process group, with no inherited descriptors, and is never waited
/// for without a bound: Foundation's `Process.waitUntilExit()` can hang on grandchildren.
public final class ChromeDriver: Sendable {
    /// The driver's address, `http://127.0.0.1:<port>`.
    public let url: String
    /// The driver's process id (also its process group id).
    public let pid: Int32
    /// The temporary directory holding profiles, the crash database and `chromedriver.log`.
    public let root: String
    /// The browser binary sessions start.
    public let browser: String

    private init(url: String, pid: Int32, root: String, browser: String) {
        self.url = url
        self.pid = pid
        self.root = root
        self.browser = browser
    }

    /// Starts `chromedriver` on a free loopback port and waits until `/status` says it is ready.
    /// - Throws: `WebDriverError` when a binary is missing or the driver does not come up in time.
    public static func start(
        driver: String = "/usr/bin/chromedriver",
        browser: String = "/usr/bin/chromium",
        timeout: Duration = .seconds(15)
    ) async throws -> ChromeDriver {
        for binary in [driver, browser] where !FileManager.default.isExecutableFile(atPath: binary) {
            throw WebDriverError(
                message: "\(binary) is missing: install Debian's chromium and chromium-driver (scripts/install-deps)"
            )
        }
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("button-browser-\(UUID().uuidString.lowercased())").path
        for directory in ["home", "config", "cache"] {
            try FileManager.default.createDirectory(
                atPath: "\(root)/\(directory)",
                withIntermediateDirectories: true
            )
        }
        let port = try freeLoopbackPort()
        // HOME and XDG dirs under root: Chromium's crashpad database and caches land there too.
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = "\(root)/home"
        environment["XDG_CONFIG_HOME"] = "\(root)/config"
        environment["XDG_CACHE_HOME"] = "\(root)/cache"
        let pid = try spawn(
            [driver, "--port=\(port)", "--allowed-ips=127.0.0.1"],
            environment: environment.map { "\($0.key)=\($0.value)" },
            log: "\(root)/chromedriver.log"
        )
        let chromeDriver = ChromeDriver(url: "http://127.0.0.1:\(port)", pid: pid, root: root, browser: browser)
        let deadline = ContinuousClock.now + timeout
        while true {
            if let status = try? await LoopbackHTTP.send("GET", "\(chromeDriver.url)/status", body: nil, timeout: 2),
                let json = try? JSONSerialization.jsonObject(with: status.body) as? [String: Any],
                (json["value"] as? [String: Any])?["ready"] as? Bool == true
            {
                return chromeDriver
            }
            var status: Int32 = 0
            let exited = waitpid(pid, &status, WNOHANG) == pid
            if exited || ContinuousClock.now > deadline {
                let log = chromeDriver.log
                _ = chromeDriver.stop()
                throw WebDriverError(
                    message: "chromedriver \(exited ? "exited" : "did not become ready") on port \(port): \(log)"
                )
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The end of the driver's log, for failure messages.
    public var log: String {
        let text = (try? String(contentsOfFile: "\(root)/chromedriver.log", encoding: .utf8)) ?? ""
        return String(text.suffix(2000))
    }

    /// Creates a session with a fresh profile under `root`, runs `body`, and always deletes
    /// the session (which quits that browser), also when `body` throws.
    /// - Parameters:
    ///   - name: names the profile directory.
    ///   - arguments: extra Chromium switches, after the headless defaults.
    ///   - prefs: Chromium profile preferences (`goog:chromeOptions.prefs`).
    public func withSession<T>(
        _ name: String,
        arguments: [String] = [],
        prefs: [String: any Sendable] = [:],
        _ body: (WebDriverSession) async throws -> T
    ) async throws -> T {
        let session = try await newSession(name, arguments: arguments, prefs: prefs)
        let result: Result<T, any Error>
        do {
            result = .success(try await body(session))
        } catch {
            result = .failure(error)
        }
        let deleted: Result<Void, any Error>
        do {
            try await session.delete()
            deleted = .success(())
        } catch {
            deleted = .failure(error)
        }
        let value = try result.get()
        try deleted.get()
        return value
    }

    /// Creates a session (see `withSession`, which also deletes it).
    public func newSession(
        _ name: String,
        arguments: [String] = [],
        prefs: [String: any Sendable] = [:]
    ) async throws -> WebDriverSession {
        let profile = "\(root)/profile-\(name)"
        var options: [String: Any] = [
            "binary": browser,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--user-data-dir=\(profile)", "--window-size=1024,768", "--no-first-run",
            ] + arguments,
        ]
        if !prefs.isEmpty { options["prefs"] = prefs }
        // The browser log (console messages, failed loads) at every level, for `browserLog()`.
        let capabilities: [String: Any] = [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome", "goog:chromeOptions": options,
                    "goog:loggingPrefs": ["browser": "ALL"],
                ]
            ]
        ]
        let value = try await WebDriverSession.command(
            "POST",
            "\(url)/session",
            capabilities,
            timeout: 60
        )
        guard let id = (value as? [String: Any])?["sessionId"] as? String else {
            throw WebDriverError(message: "chromedriver answered no session id: \(String(describing: value))")
        }
        return WebDriverSession(base: "\(url)/session/\(id)", id: id, profile: profile)
    }

    /// Processes whose command line mentions `root` (like `pgrep -f root`), as "pid command".
    public func processes() -> [String] {
        let own = getpid()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> String? in
            guard let pid = Int32(entry), pid != own,
                let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
            else { return nil }
            let command = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return command.contains(root) ? "\(pid) \(command.prefix(160))" : nil
        }
    }

    /// Terminates the driver and its process group (SIGTERM, then SIGKILL after a bounded
    /// wait), kills whatever still mentions `root`, reaps the driver and removes `root`.
    /// - Returns: the processes still alive at the end (empty when all is well).
    @discardableResult
    public func stop() -> [String] {
        kill(-pid, SIGTERM)
        kill(pid, SIGTERM)
        var reaped = reap(within: .seconds(3))
        if !waitUntil(within: .seconds(3), { self.processes().isEmpty }) || !reaped {
            kill(-pid, SIGKILL)
            for line in processes() {
                if let survivor = Int32(line.prefix { $0 != " " }) { kill(survivor, SIGKILL) }
            }
            reaped = reaped || reap(within: .seconds(2))
            _ = waitUntil(within: .seconds(2)) { self.processes().isEmpty }
        }
        let left = processes() + (reaped ? [] : ["\(pid) chromedriver (not reaped)"])
        if left.isEmpty { try? FileManager.default.removeItem(atPath: root) }
        return left
    }

    private func reap(within limit: Duration) -> Bool {
        var status: Int32 = 0
        return waitUntil(within: limit) {
            let result = waitpid(self.pid, &status, WNOHANG)
            return result == self.pid || (result == -1 && errno == ECHILD)
        }
    }

    private func waitUntil(within limit: Duration, _ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + limit
        while !condition() {
            if ContinuousClock.now > deadline { return false }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return true
    }

    /// A loopback port nobody listens on right now (bound to port 0, then released).
    private static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw WebDriverError(message: "socket: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
            }
        }
        guard bound else { throw WebDriverError(message: "bind 127.0.0.1:0: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// posix_spawn in a new process group, stdout and stderr to `log`, nothing else inherited.
    private static func spawn(_ arguments: [String], environment: [String], log: String) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        closeInheritedDescriptors(&actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGCHLD, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(
            &attributes,
            Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        )
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw WebDriverError(message: "posix_spawn \(arguments[0]): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// Other tests run kcat & co. with pipes at the same time: a long-lived driver holding a
    /// copy of a pipe's write end would keep their reads from ending. glibc's
    /// posix_spawn_file_actions_addclosefrom_np (not imported into Swift) closes them all;
    /// without it, the descriptors open now are closed one by one.
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            let closeFrom = unsafeBitCast(symbol, to: CloseFrom.self)
            if closeFrom(&actions, 3) == 0 { return }
        }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap({ Int32($0) }) where fd > 2 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
    }
}

/// One WebDriver session: one browser window.
public struct WebDriverSession: Sendable {
    /// `<driver>/session/<id>`.
    public let base: String
    public let id: String
    /// The session's `--user-data-dir`.
    public let profile: String

    /// Opens `url` and waits for it to load (WebDriver's page load strategy "normal").
    public func open(_ url: String) async throws {
        try await command("POST", "/url", ["url": url])
    }

    /// The top-level page's URL.
    public func currentURL() async throws -> String {
        try await command("GET", "/url") as? String ?? ""
    }

    /// The first element matching a CSS selector, or nil when there is none.
    public func element(_ selector: String) async throws -> String? {
        do {
            let value = try await command("POST", "/element", ["using": "css selector", "value": selector])
            return (value as? [String: Any])?.values.first as? String
        } catch let error as WebDriverError where error.code == "no such element" {
            return nil
        }
    }

    /// The rendered text of the first element matching `selector`, or nil when there is none
    /// (or it was just replaced).
    public func text(_ selector: String) async throws -> String? {
        guard let element = try await element(selector) else { return nil }
        do {
            return try await command("GET", "/element/\(element)/text") as? String
        } catch let error as WebDriverError where error.code == "stale element reference" {
            return nil
        }
    }

    /// Clicks the first element matching `selector`.
    public func click(_ selector: String) async throws {
        guard let element = try await element(selector) else {
            throw WebDriverError(message: "no element matches \(selector)")
        }
        try await command("POST", "/element/\(element)/click", [String: String]())
    }

    /// The cookies visible to the page's URL, HttpOnly ones included: name → value.
    public func cookies() async throws -> [String: String] {
        let list = try await command("GET", "/cookie") as? [[String: Any]] ?? []
        var cookies: [String: String] = [:]
        for cookie in list {
            if let name = cookie["name"] as? String, let value = cookie["value"] as? String { cookies[name] = value }
        }
        return cookies
    }

    /// Runs a script in the page (`return` gives the value). WebDriver runs it even when the
    /// page's own JavaScript is disabled.
    @discardableResult
    public func execute(_ script: String) async throws -> Any? {
        try await command("POST", "/execute/sync", ["script": script, "args": [String]()])
    }

    /// Runs a script in the page with string arguments (`arguments[0]`, ...); see `execute(_:)`.
    @discardableResult
    public func execute(_ script: String, arguments: [String]) async throws -> Any? {
        try await command("POST", "/execute/sync", ["script": script, "args": arguments])
    }

    /// Runs an asynchronous script: it ends by calling its last argument with the value
    /// (`arguments[arguments.length - 1](value)`), within the driver's script timeout (30 s).
    @discardableResult
    public func executeAsync(_ script: String, arguments: [String] = []) async throws -> Any? {
        try await command("POST", "/execute/async", ["script": script, "args": arguments])
    }

    /// Reloads the page: a navigation, so the page's state is lost.
    public func refresh() async throws {
        try await command("POST", "/refresh", [String: String]())
    }

    /// Sets the window's outer size; headless, the viewport (and a screenshot) is that size.
    public func setWindowSize(width: Int, height: Int) async throws {
        try await command("POST", "/window/rect", ["width": width, "height": height])
    }

    /// Sizes the window so that the page's viewport (what a screenshot shows) is
    /// `width` x `height`: the window's own frame is measured and added.
    public func setViewportSize(width: Int, height: Int) async throws {
        try await setWindowSize(width: width, height: height)
        let inner = try await execute("return [window.innerWidth, window.innerHeight]") as? [Int] ?? []
        guard inner.count == 2 else { throw WebDriverError(message: "the page reports no viewport size") }
        try await setWindowSize(width: 2 * width - inner[0], height: 2 * height - inner[1])
    }

    /// The handle of the window commands go to.
    public func windowHandle() async throws -> String {
        guard let handle = try await command("GET", "/window") as? String else {
            throw WebDriverError(message: "the driver answered no window handle")
        }
        return handle
    }

    /// Opens a new tab in the same browser (same profile and cookies) and returns its handle;
    /// commands still go to the current window until `switchToWindow`.
    public func newTab() async throws -> String {
        let value = try await command("POST", "/window/new", ["type": "tab"])
        guard let handle = (value as? [String: Any])?["handle"] as? String else {
            throw WebDriverError(message: "the driver answered no handle for the new tab: \(String(describing: value))")
        }
        return handle
    }

    /// Sends the next commands to the window `handle`.
    public func switchToWindow(_ handle: String) async throws {
        try await command("POST", "/window", ["handle": handle])
    }

    /// Closes the current window; switch to another before the next page command.
    public func closeWindow() async throws {
        try await command("DELETE", "/window")
    }

    /// What the browser logged since the last call (chromedriver hands each entry out once):
    /// console messages, uncaught exceptions and failed loads (a 404 for a page's favicon or
    /// script shows here as a `SEVERE` network entry).
    public func browserLog() async throws -> [BrowserLogEntry] {
        let value = try await command("POST", "/se/log", ["type": "browser"])
        return (value as? [[String: Any]] ?? []).map { entry in
            BrowserLogEntry(
                level: entry["level"] as? String ?? "",
                source: entry["source"] as? String ?? "",
                message: entry["message"] as? String ?? ""
            )
        }
    }

    /// A PNG screenshot of the viewport.
    public func screenshot() async throws -> Data {
        guard let text = try await command("GET", "/screenshot") as? String, let png = Data(base64Encoded: text)
        else { throw WebDriverError(message: "the screenshot is not base64") }
        return png
    }

    /// A PNG of the whole page, below the fold too, at the viewport's width: Chromium's
    /// DevTools command (chromedriver's `goog/cdp/execute`), as W3C screenshots stop at the
    /// viewport.
    public func fullPageScreenshot() async throws -> Data {
        let metrics = try await command("POST", "/goog/cdp/execute", ["cmd": "Page.getLayoutMetrics", "params": [:]])
        let size = (metrics as? [String: Any])?["cssContentSize"] as? [String: Any]
        guard let width = size?["width"] as? Double, let height = size?["height"] as? Double else {
            throw WebDriverError(message: "no page size in \(String(describing: metrics))")
        }
        let clip: [String: Any] = ["x": 0, "y": 0, "width": width, "height": height, "scale": 1]
        let shot = try await command(
            "POST",
            "/goog/cdp/execute",
            [
                "cmd": "Page.captureScreenshot",
                "params": ["format": "png", "captureBeyondViewport": true, "clip": clip],
            ]
        )
        guard let text = (shot as? [String: Any])?["data"] as? String, let png = Data(base64Encoded: text) else {
            throw WebDriverError(message: "the full-page screenshot is not base64")
        }
        return png
    }

    /// Ends the session; the driver quits its browser.
    public func delete() async throws {
        try await command("DELETE", "")
    }

    /// Polls `probe` until it returns a value, for at most `timeout`.
    /// - Throws: `WebDriverError` naming `what` (and the page's text) on timeout.
    @discardableResult
    public func wait<T>(
        for what: String,
        timeout: Duration = .seconds(15),
        _ probe: () async throws -> T?
    ) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let value = try await probe() { return value }
            if ContinuousClock.now > deadline {
                let page = (try? await text("body")).map { String($0.prefix(300)) } ?? "?"
                throw WebDriverError(message: "timed out after \(timeout) waiting for \(what); the page reads: \(page)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    @discardableResult
    func command(_ method: String, _ path: String, _ body: Any? = nil) async throws -> Any? {
        try await Self.command(method, base + path, body, timeout: 30)
    }

    /// Sends one command; returns the answer's `value`, or throws the WebDriver error.
    static func command(_ method: String, _ url: String, _ body: Any?, timeout: TimeInterval) async throws -> Any? {
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        let answer = try await LoopbackHTTP.send(method, url, body: data, timeout: timeout)
        let json = try? JSONSerialization.jsonObject(with: answer.body, options: .fragmentsAllowed)
        let value = (json as? [String: Any])?["value"]
        guard answer.status == 200 else {
            let details = value as? [String: Any]
            let text = details?["message"] as? String ?? String(decoding: answer.body.prefix(500), as: UTF8.self)
            throw WebDriverError(
                message: "\(method) \(url): \(answer.status) \(text)",
                code: details?["error"] as? String
            )
        }
        return value is NSNull ? nil : value
    }
}

/// One entry of the browser's log (`WebDriverSession.browserLog()`).
public struct BrowserLogEntry: Sendable, CustomStringConvertible {
    /// `SEVERE`, `WARNING`, `INFO` or `DEBUG`: console.error, uncaught exceptions and failed
    /// loads are `SEVERE`.
    public let level: String
    /// Where it came from: `console-api`, `javascript`, `network`, ...
    public let source: String
    public let message: String
    /// Whether the browser counts it as an error.
    public var isError: Bool { level == "SEVERE" }
    public var description: String { "\(level) \(source): \(message)" }
}

/// A WebDriver command failed, or the driver or browser could not be used.
public struct WebDriverError: Error, CustomStringConvertible {
    public let message: String
    /// The W3C error code ("no such element", ...), when the driver gave one.
    public let code: String?
    public init(message: String, code: String? = nil) {
        self.message = message
        self.code = code
    }
    public var description: String { message }
}

/// Just enough HTTP/1.1 to talk to chromedriver on loopback.
///
/// Not URLSession: chromedriver writes header lines without a space after the colon
/// (`Content-Length:249`), which RFC 9110 allows but FoundationNetworking on Linux rejects
/// ("Failed writing header", NSURLErrorDomain -1) until swift-corelibs-foundation#5527.
/// Blocking sockets with timeouts, run on a Dispatch queue rather than the cooperative pool.
enum LoopbackHTTP {
    struct Answer {
        let status: Int
        let body: Data
    }

    static func send(_ method: String, _ url: String, body: Data?, timeout: TimeInterval) async throws -> Answer {
        guard let components = URLComponents(string: url), let port = components.port,
            components.host == "127.0.0.1"
        else { throw WebDriverError(message: "not a loopback URL: \(url)") }
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        request += "Accept: application/json\r\n"
        if let body {
            request += "Content-Type: application/json; charset=utf-8\r\nContent-Length: \(body.count)\r\n"
        }
        let bytes = Array((request + "\r\n").utf8) + Array(body ?? Data())
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try exchange(bytes, port: UInt16(port), timeout: timeout) })
            }
        }
    }

    private static func exchange(_ request: [UInt8], port: UInt16, timeout: TimeInterval) throws -> Answer {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw WebDriverError(message: "socket: errno \(errno)") }
        defer { close(fd) }
        var limit = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { throw WebDriverError(message: "connect 127.0.0.1:\(port): errno \(errno)") }
        var sent = 0
        while sent < request.count {
            let count = request[sent...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard count > 0 else { throw WebDriverError(message: "send to 127.0.0.1:\(port): errno \(errno)") }
            sent += count
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var expected: Int?  // header length + Content-Length, once the header is in
        while expected.map({ response.count < $0 }) ?? true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { break }
            guard count > 0 else {
                throw WebDriverError(message: "no answer from 127.0.0.1:\(port) within \(timeout) s (errno \(errno))")
            }
            response += buffer[0..<count]
            if expected == nil, let end = headerEnd(response) {
                let header = String(decoding: response[0..<end], as: UTF8.self).lowercased()
                let length = header.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) }
                expected = length.map { end + 4 + $0 } ?? Int.max
            }
        }
        guard let end = headerEnd(response) else {
            throw WebDriverError(message: "incomplete HTTP answer from 127.0.0.1:\(port)")
        }
        let statusLine = String(decoding: response[0..<end], as: UTF8.self).prefix { $0 != "\r" }
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else {
            throw WebDriverError(message: "bad HTTP status line from 127.0.0.1:\(port): \(statusLine)")
        }
        return Answer(status: status, body: Data(response[(end + 4)...]))
    }

    /// The index of the blank line ending the header, if it arrived.
    private static func headerEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4)
        where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }
}
