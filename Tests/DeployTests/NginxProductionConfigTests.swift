import Foundation
import Testing

/// `nginx/production.conf.example`: nginx itself checks it (`nginx -t`, no server started),
/// and the stats locations pass no client address to the stats pool.
@Suite struct NginxProductionConfigTests {
    static let root = JdbcSinkConfigTests.root

    static func text(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    @Test func nginxAcceptsTheExampleWithTheRepositorysParamFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nginx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // What an operator adapts: TLS (no certificate here), the paths of this checkout, logs.
        let example = try Self.text("nginx/production.conf.example")
            .replacingOccurrences(of: "listen 443 ssl http2;", with: "listen 127.0.0.1:9;")
            .split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.contains("ssl_certificate") }
            .joined(separator: "\n")
            .replacingOccurrences(of: "/srv/button/nginx/", with: Self.root.path + "/nginx/")
            .replacingOccurrences(of: "/var/log/nginx/", with: directory.path + "/")
        try example.write(to: directory.appendingPathComponent("button.conf"), atomically: true, encoding: .utf8)
        let main = """
            pid \(directory.path)/nginx.pid;
            error_log stderr;
            events {}
            http { include /etc/nginx/mime.types; include \(directory.path)/button.conf; }
            """
        try main.write(to: directory.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        process.arguments = [
            "-t", "-q", "-p", directory.path, "-c", directory.appendingPathComponent("nginx.conf").path,
        ]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
    }

    /// A draining worker answers on nginx's kept connections until nginx closes them, and
    /// cuts the rest after BUTTON_DRAIN_TIMEOUT_MS: every configuration of the press upstream
    /// must make nginx close them first (keepalive_time, then at most keepalive_timeout idle,
    /// then a request of at most BUTTON_REQUEST_TIMEOUT_MS, 5 s).
    @Test func nginxClosesKeptConnectionsBeforeTheWorkersDrainDeadline() throws {
        let deadline = try #require(
            try Self.text("deploy/systemd/fcgi.env.example").split(separator: "\n")
                .first { $0.hasPrefix("BUTTON_DRAIN_TIMEOUT_MS=") }
                .flatMap { Int($0.dropFirst("BUTTON_DRAIN_TIMEOUT_MS=".count)) },
            "fcgi.env.example sets BUTTON_DRAIN_TIMEOUT_MS"
        )
        #expect(deadline == 15000, "the example shows the default")
        for path in ["nginx/production.conf.example", "nginx/stack.conf.template"] {
            let text = try Self.text(path)
            let start = try #require(text.range(of: "upstream button_workers {"), "\(path)")
            let block = text[start.upperBound...].prefix { $0 != "}" }
            func seconds(_ directive: String) -> Int? {
                block.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                    .first { $0.hasPrefix(directive + " ") && $0.hasSuffix("s;") }
                    .flatMap { Int($0.dropFirst(directive.count + 1).dropLast(2)) }
            }
            let time = try #require(seconds("keepalive_time"), "\(path) sets keepalive_time in seconds")
            let idle = try #require(seconds("keepalive_timeout"), "\(path) sets keepalive_timeout in seconds")
            #expect((time + idle + 5) * 1000 <= deadline, "\(path): \(time) s + \(idle) s + a 5 s request")
        }
    }

    /// A worker thread cuts a connection that has not brought a whole request within
    /// BUTTON_FCGI_READ_TIMEOUT_MS, an idle kept one included: nginx must close an idle kept
    /// connection first (keepalive_timeout), or it may write a request on one just cut.
    @Test func nginxClosesIdleKeptConnectionsBeforeTheWorkersReadTimeout() throws {
        let timeout = try #require(
            try Self.text("deploy/systemd/fcgi.env.example").split(separator: "\n")
                .first { $0.hasPrefix("BUTTON_FCGI_READ_TIMEOUT_MS=") }
                .flatMap { Int($0.dropFirst("BUTTON_FCGI_READ_TIMEOUT_MS=".count)) },
            "fcgi.env.example sets BUTTON_FCGI_READ_TIMEOUT_MS"
        )
        #expect(timeout == 15000, "the example shows the default")
        for path in ["nginx/production.conf.example", "nginx/stack.conf.template"] {
            let text = try Self.text(path)
            let start = try #require(text.range(of: "upstream button_workers {"), "\(path)")
            let block = text[start.upperBound...].prefix { $0 != "}" }
            let idle = try #require(
                block.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                    .first { $0.hasPrefix("keepalive_timeout ") && $0.hasSuffix("s;") }
                    .flatMap { Int($0.dropFirst("keepalive_timeout ".count).dropLast(2)) },
                "\(path) sets keepalive_timeout in seconds"
            )
            #expect((idle + 5) * 1000 <= timeout, "\(path): keepalive_timeout \(idle) s, with 5 s to spare")
        }
    }

    @Test func theStatsLocationsPassNoClientAddress() throws {
        let example = try Self.text("nginx/production.conf.example")
        for location in ["location = /stats {", "location /stats/ {"] {
            let start = try #require(example.range(of: location), "\(location) is missing")
            let block = example[start.upperBound...].prefix { $0 != "}" }
            #expect(block.contains("include /srv/button/nginx/fastcgi-stats.conf;"), "\(location)")
            #expect(block.contains("fastcgi_pass stats_workers;"))
        }
        let statsParams = try Self.text("nginx/fastcgi-stats.conf")
        let pressParams = try Self.text("nginx/fastcgi.conf")
        #expect(pressParams.contains("fastcgi_param  REMOTE_ADDR"), "control: the press params do carry it")
        #expect(!statsParams.contains("REMOTE_ADDR"))
        // Otherwise the same params, so the pool sees method, path, query and cookie.
        let params = { (text: String) in Set(text.split(separator: "\n").filter { $0.hasPrefix("fastcgi_param") }) }
        #expect(params(pressParams).subtracting(params(statsParams)).map { $0.contains("REMOTE_ADDR") } == [true])
        #expect(params(statsParams).isSubset(of: params(pressParams)))
    }

    /// The per-address limits (README, "Rate limits"): on the press and stats locations,
    /// answered 429 with Retry-After, and refusals (whose error line names the client)
    /// logged below the error log's level.
    @Test func pressesAndStatsAreLimitedPerAddressWithoutLoggingIt() throws {
        let example = try Self.text("nginx/production.conf.example")
        #expect(example.contains("limit_req_zone $binary_remote_addr zone=button_presses:"))
        #expect(example.contains("limit_req_zone $binary_remote_addr zone=stats_viewers:"))
        #expect(example.contains("limit_req_status 429;"))
        for (location, zone, page) in [
            ("location /api/ {", "button_presses", "@too_fast"),
            ("location = /stats {", "stats_viewers", "@stats_too_fast"),
            ("location /stats/ {", "stats_viewers", "@stats_too_fast"),
        ] {
            let start = try #require(example.range(of: location), "\(location) is missing")
            let block = example[start.upperBound...].prefix { $0 != "}" }
            #expect(block.contains("limit_req zone=\(zone) burst="), "\(location)")
            #expect(block.contains("error_page 429 \(page);"), "\(location)")
        }
        for page in ["location @too_fast {", "location @stats_too_fast {"] {
            let start = try #require(example.range(of: page), "\(page) is missing")
            let block = example[start.upperBound...].prefix { $0 != "}" }
            #expect(block.contains("add_header Retry-After 1 always;") && block.contains("return 429 "), "\(page)")
        }
        // nginx's levels, most severe first: refusals must be less severe than what is kept.
        let levels = ["emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"]
        let refusal = try #require(
            example.firstMatch(of: /limit_req_log_level (\w+);/).flatMap { levels.firstIndex(of: String($0.1)) }
        )
        let kept = try #require(
            example.firstMatch(of: /error_log \S+ (\w+);/).flatMap { levels.firstIndex(of: String($0.1)) }
        )
        #expect(refusal > kept, "refusals at \(levels[refusal]) would be written to an error log at \(levels[kept])")
    }
}
