import Foundation
import TestSupport
import Testing

/// The press pool's `/status` page (issue 11): three formats that parse, counters that move
/// with the requests sent, operators only, and no client's data in it.
/// Other suites press at the same time: counts are checked as lower bounds.
@Suite(.serialized) struct PoolStatusPageTests {
    let stack: PressStack
    let page: PoolStatusPage
    init() throws {
        stack = try PressStack()
        page = PoolStatusPage(appURL: stack.app)
    }

    @Test func allThreeFormatsParseAndTheirCountersMoveWithPresses() async throws {
        let before = try await page.exposition()
        let jsonBefore = try await page.json()
        let pressesBefore = before.value("button_requests_total", #"route="press",status="200""#) ?? 0
        let histogramBefore = before.value("button_request_duration_seconds_count", #"route="press""#) ?? 0

        let client = PressClient(appURL: stack.app, forwardedFor: "130.149.0.1")
        #expect(try await client.post("/api/enter").status == 200)
        for _ in 0..<5 { #expect(try await client.post("/api/press").status == 200) }

        let after = try await page.exposition()
        #expect(after.families["button_requests"] == "counter")
        #expect(after.families["button_request_duration_seconds"] == "histogram")
        #expect(after.families["button_kafka_ack_duration_seconds"] == "histogram")
        #expect(after.families["button_listen_queue"] == "gauge")
        let presses = try #require(after.value("button_requests_total", #"route="press",status="200""#))
        #expect(presses >= pressesBefore + 5)
        let count = try #require(after.value("button_request_duration_seconds_count", #"route="press""#))
        #expect(count >= histogramBefore + 5)
        // Sub-millisecond resolution: the first bucket is 0.1 ms, and +Inf holds every press.
        #expect(after.value("button_request_duration_seconds_bucket", #"le="0.0001",route="press""#) != nil)
        #expect(after.value("button_request_duration_seconds_bucket", #"le="+Inf",route="press""#) == count)
        #expect((after.value("button_kafka_ack_duration_seconds_count") ?? 0) >= 6)
        #expect((after.value("button_processes") ?? 0) >= 1)
        #expect((after.value("button_listen_queue_limit") ?? 0) > 0, "the backlog, read from the socket")
        #expect(after.value("button_metrics_enabled") == 1)
        // librdkafka's statistics reach the page (every 5 s) and the consumers' status files too.
        #expect(after.families["button_kafka_sent_messages"] == "gauge")
        #expect(after.value("button_consumer_up", #"consumer="sink""#) == 1)
        #expect(after.families["button_consumer_lag_messages"] == "gauge")

        let jsonAfter = try await page.json()
        let acceptedBefore = try #require(jsonBefore["accepted conn"] as? Int)
        let acceptedAfter = try #require(jsonAfter["accepted conn"] as? Int)
        #expect(acceptedAfter >= acceptedBefore + 6)
        #expect(jsonAfter["pool"] as? String == "button")
        #expect((jsonAfter["total threads"] as? Int ?? 0) > 0)

        let text = try await page.get()
        #expect(text.status == 200)
        #expect(text.header("Content-Type")?.hasPrefix("text/plain") == true)
        let lines = Dictionary(
            text.text.split(separator: "\n").compactMap { line -> (String, String)? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            },
            uniquingKeysWith: { $1 }
        )
        #expect(Int(lines["accepted conn"] ?? "") ?? 0 >= acceptedAfter)
        #expect(lines["process manager"] == "static")
    }

    @Test func fullDetailNamesEachWorkerProcess() async throws {
        let json = try await page.json(full: true)
        let processes = try #require(json["processes"] as? [[String: Any]])
        let workers = try workerPIDs()
        #expect(!workers.isEmpty)
        #expect(Set(processes.compactMap { $0["pid"] as? Int }) == Set(workers))
        for process in processes {
            #expect((process["rss bytes"] as? Int ?? 0) > 1_000_000)
            #expect(process["state"] as? String == "serving")
        }
        let exposition = try await page.exposition(full: true)
        for pid in workers {
            #expect(exposition.value("button_process_resident_bytes", #"pid="\#(pid)""#) ?? 0 > 0)
        }
        let text = try await page.get("full")
        #expect(text.text.components(separatedBy: "************************").count == workers.count + 1)
    }

    @Test func outsideTheAllowedNetworksNginxAnswers403() async throws {
        // The stack's nginx takes X-Forwarded-For from loopback: the request counts as this address.
        for query in ["", "json", "openmetrics", "full"] {
            #expect(try await page.get(query, forwardedFor: "203.0.113.5").status == 403)
        }
        #expect(try await page.get().status == 200, "positive control: loopback is allowed")
    }

    @Test func theWorkersRefuseAddressesOutsideTheListThemselves() throws {
        // Straight to the workers' socket, as a misconfigured nginx without allow/deny would.
        let denied = try fastCGIStatus(remoteAddress: "203.0.113.5")
        #expect(denied.hasPrefix("Status: 403"), "\(denied.prefix(200))")
        #expect(!denied.contains("203.0.113.5"))
        #expect(try fastCGIStatus(remoteAddress: "10.1.2.3").hasPrefix("Status: 403"))
        #expect(try fastCGIStatus(remoteAddress: "").hasPrefix("Status: 403"))
        #expect(try fastCGIStatus(remoteAddress: "127.0.0.1").hasPrefix("Status: 200"), "positive control")
        #expect(try fastCGIStatus(remoteAddress: "::1").hasPrefix("Status: 200"))
    }

    @Test func noClientAddressCookieOrSessionIdInAnyFormat() async throws {
        let addresses = ["198.51.100.23", "81.2.69.160", "2001:db8::42"]
        var secrets = addresses
        for address in addresses {
            let client = PressClient(appURL: stack.app, forwardedFor: address)
            #expect(try await client.post("/api/enter").status == 200)
            #expect(try await client.post("/api/press").status == 200)
            let cookie = try #require(client.cookie)
            let session = try stack.session(client)
            secrets += [cookie, session.id.uuidString.lowercased(), session.id.uuidString]
        }
        for query in ["", "full", "json", "json&full", "openmetrics", "openmetrics&full"] {
            let answer = try await page.get(query)
            #expect(answer.status == 200)
            for secret in secrets {
                #expect(!answer.text.contains(secret), "/status?\(query) holds \(secret)")
            }
        }
    }

    // MARK: helpers

    func fastCGIStatus(remoteAddress: String) throws -> String {
        try Command.run(
            "/usr/bin/cgi-fcgi",
            ["-bind", "-connect", "\(stack.runDir)/button.sock"],
            environment: [
                "REQUEST_METHOD": "GET", "REQUEST_URI": "/status?json", "DOCUMENT_URI": "/status",
                "QUERY_STRING": "json", "SERVER_PROTOCOL": "HTTP/1.1", "CONTENT_LENGTH": "0",
                "REMOTE_ADDR": remoteAddress,
            ],
            inheritEnvironment: false
        ).output
    }

    /// The worker processes: the children of the pool's master.
    func workerPIDs() throws -> [Int] {
        let master = try String(contentsOfFile: "\(stack.runDir)/pids/workers.pid", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let children = try String(contentsOfFile: "/proc/\(master)/task/\(master)/children", encoding: .utf8)
        return children.split(separator: " ").compactMap { Int($0) }
    }
}
