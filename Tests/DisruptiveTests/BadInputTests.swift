import Foundation
import TestSupport
import Testing

/// Hostile and broken requests: a short 4xx with a human message, never a 5xx, a crash
/// or an event. Runs alone so the topic's size before and after is exact.
@Suite(.serialized) struct BadInputTests {
    let stack: PressStack
    init() throws { stack = try PressStack() }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let arguments: [String]
        let status: Int
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "unknown path", arguments: ["-X", "POST", "/api/nothing"], status: 404),
        Case(name: "GET on press", arguments: ["/api/press"], status: 405),
        Case(name: "PUT on enter", arguments: ["-X", "PUT", "/api/enter"], status: 405),
        Case(name: "DELETE on press", arguments: ["-X", "DELETE", "/api/press"], status: 405),
        Case(name: "oversized body", arguments: ["--data-binary", "@BIG", "/api/press"], status: 413),
        Case(name: "invalid UTF-8 in a header", arguments: ["-X", "POST", "-H", "@ODD", "/api/press"], status: 400),
        // A cookie is the browser's to mangle: a fresh session, not an error (a plain form
        // post, so the answer is the redirect back to the page).
        Case(
            name: "invalid UTF-8 in the cookie",
            arguments: ["-X", "POST", "-H", "@ODDCOOKIE", "/api/press"],
            status: 303
        ),
        Case(name: "header too large", arguments: ["-X", "POST", "-H", "Cookie: x=HUGE", "/api/press"], status: 400),
        Case(
            name: "garbage X-Forwarded-For",
            arguments: ["-X", "POST", "-H", "X-Forwarded-For: not-an-ip", "/api/enter"],
            status: 200
        ),
    ]

    @Test func badRequestsAreRefusedAndRecordNothing() async throws {
        let mark = try stack.mark()
        let big = FileManager.default.temporaryDirectory.appendingPathComponent("big-\(UUID().uuidString)")
        try Data(repeating: 65, count: 64 * 1024).write(to: big)
        // Raw bytes that are not UTF-8 can't travel in a Swift String argument: curl reads
        // these headers from files.
        let odd = FileManager.default.temporaryDirectory.appendingPathComponent("odd-\(UUID().uuidString)")
        try Data("X-Odd: ".utf8 + [0xFF, 0xFE] + Array("BAD\n".utf8)).write(to: odd)
        let oddCookie = FileManager.default.temporaryDirectory.appendingPathComponent("oddc-\(UUID().uuidString)")
        try Data("Cookie: button_session=v1.".utf8 + [0xFF, 0xC0] + Array(".x\n".utf8)).write(to: oddCookie)
        defer {
            for file in [big, odd, oddCookie] { try? FileManager.default.removeItem(at: file) }
        }
        var recorded = 0
        for testCase in Self.cases {
            var arguments = ["-s", "-o", "/dev/stderr", "-w", "%{http_code}", "--max-time", "10"]
            for argument in testCase.arguments {
                if argument.hasPrefix("/") {
                    arguments.append(stack.app + argument)
                } else if argument == "@BIG" {
                    arguments.append("@" + big.path)
                } else if argument == "@ODD" {
                    arguments.append("@" + odd.path)
                } else if argument == "@ODDCOOKIE" {
                    arguments.append("@" + oddCookie.path)
                } else {
                    arguments.append(
                        argument.replacingOccurrences(of: "HUGE", with: String(repeating: "h", count: 20_000))
                    )
                }
            }
            let (status, body) = try Self.curl(arguments)
            #expect(status == testCase.status, "\(testCase.name): \(body)")
            if testCase.status >= 400 {
                #expect(!body.isEmpty && body.count < 600, "\(testCase.name): a short human message")
                #expect(!body.contains("127.0.0.1"), "\(testCase.name): no address in the message")
            } else {
                recorded += 1
            }
        }
        // Straight to the worker socket, bypassing nginx: REMOTE_ADDR that is not an address.
        for address in ["not-an-address", "", "999.1.1.1", "1.2.3.4; DROP TABLE", "::zz"] {
            let answer = try Self.fastCGI(socket: "\(stack.runDir)/button.sock", remoteAddress: address)
            #expect(answer.hasPrefix("Status: 400"), "REMOTE_ADDR '\(address)': \(answer.prefix(80))")
            #expect(!answer.contains(address) || address.isEmpty, "the address is not echoed")
        }
        #expect(try mark.count() == recorded, "only the one well-formed request made an event")
        // And the workers are still there and well.
        #expect(try await HTTP.send("GET", "\(stack.app)/api/health").status == 200)
    }

    /// curl writes the status to stdout (`-w`) and the body to stderr (`-o /dev/stderr`).
    static func curl(_ arguments: [String]) throws -> (Int, String) {
        let result = try Command.run("/usr/bin/curl", arguments)
        return (Int(result.output) ?? 0, result.errors)
    }

    /// One POST /api/enter over FastCGI with `cgi-fcgi` (Debian's libfcgi-bin), which sends
    /// its whole environment as the params: so only these.
    static func fastCGI(socket: String, remoteAddress: String) throws -> String {
        try Command.run(
            "/usr/bin/cgi-fcgi",
            ["-bind", "-connect", socket],
            environment: [
                "REQUEST_METHOD": "POST", "REQUEST_URI": "/api/enter", "DOCUMENT_URI": "/api/enter",
                "REMOTE_ADDR": remoteAddress, "CONTENT_LENGTH": "0", "SERVER_PROTOCOL": "HTTP/1.1",
            ],
            inheritEnvironment: false
        ).output
    }
}
