import CoreMetrics
import Foundation
import PoolStatus
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct ScoreboardTests {
    static let layout = ScoreboardLayout(
        routes: ["enter", "press", "status"],
        statuses: [200, 503],
        timedRoutes: ["press"],
        processSlots: 4,
        threadsPerSlot: 8
    )

    /// A second mapping of the same memory, as a spawned worker gets it.
    static func attach(_ board: Scoreboard, layout: ScoreboardLayout = layout) throws -> Scoreboard? {
        try Scoreboard.inherited(layout: layout, environment: [Scoreboard.descriptorVariable: String(board.descriptor)])
    }

    @Test func metricsWrittenThroughOneMappingAreReadThroughAnother() throws {
        let master = try Scoreboard.create(layout: Self.layout, metricsEnabled: true)
        let worker = try #require(try Self.attach(master))
        let factory = ScoreboardMetricsFactory(board: worker)
        let pressOK = CoreMetrics.Counter(
            label: ScoreboardMetricsFactory.Name.requests,
            dimensions: [("route", "press"), ("status", "200")],
            factory: factory
        )
        let unknownStatus = CoreMetrics.Counter(
            label: ScoreboardMetricsFactory.Name.requests,
            dimensions: [("route", "nowhere"), ("status", "418")],
            factory: factory
        )
        let timer = CoreMetrics.Timer(
            label: ScoreboardMetricsFactory.Name.requestDuration,
            dimensions: [("route", "press")],
            factory: factory
        )
        let ack = CoreMetrics.Timer(label: ScoreboardMetricsFactory.Name.kafkaAckDuration, factory: factory)
        let inFlight = CoreMetrics.Meter(label: ScoreboardMetricsFactory.Name.kafkaInFlight, factory: factory)
        for _ in 0..<3 { pressOK.increment() }
        unknownStatus.increment()
        timer.recordNanoseconds(50_000)  // 0.05 ms: the first bucket
        timer.recordNanoseconds(700_000)  // 0.7 ms: the 1 ms bucket
        timer.recordNanoseconds(3_000_000_000)  // 3 s: past the last bound
        ack.recordNanoseconds(2_000_000)
        inFlight.increment(by: 2.0)
        inFlight.decrement(by: 1.0)

        let snapshot = StatusSnapshot(board: master, poolName: "test", listenFD: nil, consumers: [])
        #expect(snapshot.requests.first { $0.route == "press" && $0.status == "200" }?.count == 3)
        #expect(snapshot.requests.first { $0.route == "other" && $0.status == "other" }?.count == 1)
        #expect(snapshot.globals[.kafkaInFlight] == 1)
        let press = try #require(snapshot.histograms.first { $0.labels.first?.1 == "press" })
        #expect(press.count == 3)
        #expect(press.bucketCounts[0] == 1)
        #expect(press.bucketCounts[ScoreboardLayout.bucketBounds.firstIndex(of: 1_000_000) ?? -1] == 1)
        #expect(press.overflow == 1)
        #expect(abs(press.sumSeconds - 3.00075) < 1e-9)
        let kafka = try #require(snapshot.histograms.first { $0.labels.isEmpty })
        #expect(kafka.count == 1)
    }

    /// Defect: the master's scoreboard got descriptor 3, where each worker is handed its
    /// listening socket, so workers found a socket instead and would not start.
    @Test func theDescriptorStaysClearOfTheOnesWorkersAreHanded() throws {
        let board = try Scoreboard.create(layout: Self.layout, metricsEnabled: true)
        #expect(board.descriptor >= Scoreboard.lowestDescriptor)
        #expect(fcntl(board.descriptor, F_GETFD) & FD_CLOEXEC == 0, "inherited by spawned workers")
    }

    @Test func processSlotsShowLiveProcessesAndTheirBusyThreads() throws {
        let board = try Scoreboard.create(layout: Self.layout, metricsEnabled: true)
        let slot = try #require(board.claimProcessSlot(threads: 2))
        slot.setState(.serving)
        let first = try #require(slot.thread(0))
        let second = try #require(slot.thread(1))
        #expect(first.begin(at: monotonicNanoseconds()) == false)
        first.setRoute(1)
        #expect(second.begin(at: monotonicNanoseconds()) == true, "both threads busy: max threads reached")
        var snapshot = StatusSnapshot(board: board, poolName: "test", listenFD: nil, consumers: [])
        let process = try #require(snapshot.processes.first)
        #expect(process.pid == Int(getpid()))
        #expect(process.busyThreads == 2)
        #expect(process.state == "serving")
        #expect(process.residentBytes > 0)
        #expect(process.currentRequests.map(\.route).sorted() == ["press", "reading"])
        first.end()
        second.end()
        snapshot = StatusSnapshot(board: board, poolName: "test", listenFD: nil, consumers: [])
        #expect(snapshot.processes.first?.requestsServed == 2)
        #expect(snapshot.busyThreads == 0)
        slot.release()
        snapshot = StatusSnapshot(board: board, poolName: "test", listenFD: nil, consumers: [])
        #expect(snapshot.processes.isEmpty)
    }

    @Test func theThreadLoadCountsOnlyTheNamedLiveProcesses() throws {
        let board = try Scoreboard.create(layout: Self.layout, metricsEnabled: false)
        let slot = try #require(board.claimProcessSlot(threads: 4))
        let me = getpid()
        func figures(_ pids: Set<Int32>) -> [Int] {
            let load = board.threadLoad(of: pids)
            return [load.processes, load.busy, load.idle]
        }
        #expect(figures([me]) == [1, 0, 4])
        let first = try #require(slot.thread(0))
        let second = try #require(slot.thread(1))
        first.begin(at: monotonicNanoseconds())
        second.begin(at: monotonicNanoseconds())
        #expect(figures([me, 99_999_999]) == [1, 2, 2])
        #expect(figures([]) == [0, 0, 0], "only the processes asked about")
        first.end()
        #expect(figures([me]) == [1, 1, 3])
        // A worker that has exited gave its slot back; its threads are no one's.
        slot.release()
        #expect(figures([me]) == [0, 0, 0])
    }

    @Test func aSlotOfADeadProcessIsTakenOver() throws {
        let board = try Scoreboard.create(
            layout: ScoreboardLayout(
                routes: [],
                statuses: [],
                timedRoutes: [],
                processSlots: 1,
                threadsPerSlot: 1
            ),
            metricsEnabled: true
        )
        #expect(board.claimProcessSlot(threads: 1) != nil)
        #expect(board.claimProcessSlot(threads: 1) == nil, "the only slot is held by a live process (this one)")
    }

    @Test func aScoreboardOfAnotherLayoutIsRefused() throws {
        let board = try Scoreboard.create(layout: Self.layout, metricsEnabled: true)
        let other = ScoreboardLayout(
            routes: ["enter"],
            statuses: [200],
            timedRoutes: [],
            processSlots: 4,
            threadsPerSlot: 8
        )
        #expect(throws: ScoreboardError.self) { _ = try Self.attach(board, layout: other) }
        #expect(try Scoreboard.inherited(layout: Self.layout, environment: [:]) == nil)
        #expect(throws: ScoreboardError.self) {
            _ = try Scoreboard.inherited(layout: Self.layout, environment: [Scoreboard.descriptorVariable: "x"])
        }
    }

    @Test func theExpositionHasCumulativeBucketsAndNoDuplicateFamilies() throws {
        let board = try Scoreboard.create(layout: Self.layout, metricsEnabled: true)
        let factory = ScoreboardMetricsFactory(board: board)
        let timer = CoreMetrics.Timer(
            label: ScoreboardMetricsFactory.Name.requestDuration,
            dimensions: [("route", "press")],
            factory: factory
        )
        timer.recordNanoseconds(50_000)
        timer.recordNanoseconds(200_000)
        let text = StatusReport.render(
            StatusSnapshot(board: board, poolName: "test", listenFD: nil, consumers: []),
            format: .openMetrics,
            full: false
        )
        #expect(text.contains("button_request_duration_seconds_bucket{route=\"press\",le=\"0.0001\"} 1\n"))
        #expect(text.contains("button_request_duration_seconds_bucket{route=\"press\",le=\"0.00025\"} 2\n"))
        #expect(text.contains("button_request_duration_seconds_bucket{route=\"press\",le=\"+Inf\"} 2\n"))
        let typeLines = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }
        #expect(Set(typeLines).count == typeLines.count, "one TYPE line per family")
    }

    @Test func consumersStatusFilesBecomeLagAndCounterFigures() throws {
        let path = "/tmp/pool-status-consumer-\(getpid()).status"
        let text =
            "updated 2026-11-27T22:00:00Z\npid \(getpid())\nenriched 12\ndead_letters 0\n"
            + "lag button_presses[0] 3\nlag button_presses[1] ?\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        let board = try Scoreboard.create(layout: Self.layout, metricsEnabled: true)
        let snapshot = StatusSnapshot(
            board: board,
            poolName: "test",
            listenFD: nil,
            consumers: [("enricher", path), ("sink", "/nonexistent/sink.status")]
        )
        let enricher = try #require(snapshot.consumers.first)
        #expect(enricher.running)
        #expect(enricher.counters.map(\.name) == ["enriched", "dead_letters"])
        #expect(enricher.counters.map(\.value) == [12, 0])
        #expect(enricher.lags.map(\.partition) == ["button_presses[0]"], "an unknown lag is left out")
        #expect((enricher.ageSeconds ?? 99) < 60)
        let sink = try #require(snapshot.consumers.last)
        #expect(!sink.running)
        #expect(sink.ageSeconds == nil)
        let exposition = StatusReport.render(snapshot, format: .openMetrics, full: false)
        #expect(
            exposition.contains(#"button_consumer_lag_messages{consumer="enricher",partition="button_presses[0]"} 3"#)
        )
        #expect(exposition.contains(#"button_consumer_events_total{consumer="enricher",counter="enriched"} 12"#))
        #expect(exposition.contains(#"button_consumer_up{consumer="sink"} 0"#))
    }

    @Test func queryStringsChooseTheFormat() {
        #expect(StatusReport.options(query: "") == (.text, false))
        #expect(StatusReport.options(query: "json") == (.json, false))
        #expect(StatusReport.options(query: "full&openmetrics") == (.openMetrics, true))
        #expect(StatusReport.options(query: "json=1&full=") == (.json, true))
    }
}

@Suite struct SystemFiguresTests {
    @Test func theListenQueueOfAUnixSocketIsReadFromSockDiag() throws {
        let path = "/tmp/pool-status-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer {
            close(listener)
            unlink(path)
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        #expect(bound == 0)
        #expect(listen(listener, 7) == 0)
        #expect(ListenQueue.read(listening: listener) == ListenQueue(length: 0, limit: 7))
        var clients: [Int32] = []
        defer { for client in clients { close(client) } }
        for _ in 0..<3 {
            let client = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(client, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            #expect(connected == 0)
            clients.append(client)
        }
        #expect(ListenQueue.read(listening: listener) == ListenQueue(length: 3, limit: 7))
    }

    @Test func theListenQueueOfATCPSocketIsReadFromTCPInfo() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        #expect(bound)
        #expect(listen(listener, 5) == 0)
        var clients: [Int32] = []
        defer { for client in clients { close(client) } }
        for _ in 0..<2 {
            let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, length) }
            }
            #expect(connected == 0)
            clients.append(client)
        }
        #expect(ListenQueue.read(listening: listener) == ListenQueue(length: 2, limit: 5))
    }

    @Test func allowListsMatchNetworksOfBothFamilies() throws {
        let list = try AddressAllowList(parsing: "127.0.0.0/8, ::1,10.20.0.0/16,2001:db8::/32")
        #expect(list.allows("127.0.0.1"))
        #expect(list.allows("127.200.3.4"))
        #expect(list.allows("::ffff:127.0.0.1"))
        #expect(list.allows("::1"))
        #expect(list.allows("10.20.255.1"))
        #expect(!list.allows("10.21.0.1"))
        #expect(list.allows("2001:db8:1::5"))
        #expect(!list.allows("2001:db9::5"))
        #expect(!list.allows("203.0.113.5"))
        #expect(!list.allows(""))
        #expect(!list.allows("not an address"))
        #expect(AddressAllowList.loopback.allows("127.0.0.1"))
        #expect(!AddressAllowList.loopback.allows("192.0.2.1"))
        #expect(throws: AddressAllowListError.self) { try AddressAllowList(parsing: "10.0.0.0/33") }
        #expect(throws: AddressAllowListError.self) { try AddressAllowList(parsing: "localhost") }
    }

    @Test func librdkafkaStatisticsAreReducedToAFewGauges() throws {
        let json = """
            {"name":"rdkafka#producer-1","msg_cnt":3,"msg_size":300,"txmsgs":1000,"tx_bytes":123456,
             "brokers":{"GroupCoordinator":{"nodeid":-1,"txerrs":0,"rtt":{"cnt":0,"avg":0}},
                        "127.0.0.1:9092/1":{"nodeid":1,"txerrs":2,"rtt":{"cnt":10,"avg":400}},
                        "127.0.0.1:9093/2":{"nodeid":2,"txerrs":1,"rtt":{"cnt":5,"avg":600}}}}
            """
        let figures = try #require(KafkaStatistics(json: Array(json.utf8)))
        #expect(figures.queuedMessages == 3)
        #expect(figures.queuedBytes == 300)
        #expect(figures.sentMessages == 1000)
        #expect(figures.sentBytes == 123_456)
        #expect(figures.sendErrors == 3)
        #expect(figures.brokerRTTMicroseconds == 500)
        #expect(KafkaStatistics(json: Array("not json".utf8)) == nil)
    }
}
