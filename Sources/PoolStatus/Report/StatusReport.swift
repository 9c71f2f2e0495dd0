import Foundation
import Prometheus

/// Renders a `StatusSnapshot` the way PHP-FPM's status page does: plain text by default,
/// `?json`, `?openmetrics` (the Prometheus text exposition), `?full` for each process.
public enum StatusReport {
    /// The formats, from the query string.
    public enum Format: Sendable, Equatable {
        case text, json, openMetrics
    }

    /// The format and detail a query string asks for (`json`, `openmetrics`, `full`, in any
    /// order, `&`-separated; unknown words are ignored).
    public static func options(query: String) -> (format: Format, full: Bool) {
        var format = Format.text
        var full = false
        for word in query.split(separator: "&").map({ $0.split(separator: "=").first.map(String.init) ?? "" }) {
            switch word {
            case "json": format = .json
            case "openmetrics", "prometheus": format = .openMetrics
            case "full": full = true
            default: break
            }
        }
        return (format, full)
    }

    /// The content type of a format.
    public static func contentType(_ format: Format) -> String {
        switch format {
        case .text: "text/plain; charset=utf-8"
        case .json: "application/json"
        case .openMetrics: "text/plain; version=0.0.4; charset=utf-8"
        }
    }

    /// Renders `snapshot`.
    public static func render(_ snapshot: StatusSnapshot, format: Format, full: Bool) -> String {
        switch format {
        case .text: text(snapshot, full: full)
        case .json: json(snapshot, full: full)
        case .openMetrics: openMetrics(snapshot, full: full)
        }
    }

    static func iso8601(_ microseconds: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(microseconds) / 1e6))
    }

    /// The summary as ordered key/value pairs, shared by the text and JSON forms.
    static func summary(_ s: StatusSnapshot) -> [(String, Any)] {
        let kafka = s.kafkaTotals
        func global(_ figure: ScoreboardLayout.Global) -> Int64 { s.globals[figure] ?? 0 }
        var pairs: [(String, Any)] = [
            ("pool", s.poolName),
            ("process manager", "static"),
            ("start time", iso8601(s.poolStartMicroseconds)),
            ("start since", s.uptimeSeconds),
            ("metrics", s.metricsEnabled ? "on" : "off"),
            ("accepted conn", global(.acceptedRequests)),
            ("listen queue", s.listenQueue?.length ?? -1),
            ("max listen queue", global(.maxListenQueue)),
            ("listen queue len", s.listenQueue?.limit ?? -1),
            ("total processes", s.processes.count),
            ("idle threads", s.totalThreads - s.busyThreads),
            ("active threads", s.busyThreads),
            ("total threads", s.totalThreads),
            ("max threads reached", global(.maxThreadsReached)),
            ("slow requests", global(.slowRequests)),
            ("request timeouts", global(.requestTimeouts)),
            ("status denied", global(.statusDenied)),
            ("kafka in flight", global(.kafkaInFlight)),
            ("kafka produce errors", global(.kafkaProduceErrors)),
            ("kafka queued messages", kafka.queuedMessages),
            ("kafka sent messages", kafka.sentMessages),
            ("kafka sent bytes", kafka.sentBytes),
            ("kafka send errors", kafka.sendErrors),
            ("kafka broker rtt us", kafka.brokerRTTMicroseconds),
        ]
        for histogram in s.histograms {
            let label = histogram.labels.first.map { " \($0.1)" } ?? " kafka ack"
            pairs.append(
                ("mean ms\(label)", histogram.count > 0 ? histogram.sumSeconds * 1000 / Double(histogram.count) : 0)
            )
        }
        return pairs
    }

    static func processPairs(_ process: StatusSnapshot.Process, now: Int64) -> [(String, Any)] {
        [
            ("pid", process.pid),
            ("state", process.state),
            ("start time", iso8601(process.startMicroseconds)),
            ("start since", max(0, (now - process.startMicroseconds) / 1_000_000)),
            ("requests", process.requestsServed),
            ("threads", process.threads),
            ("busy threads", process.busyThreads),
            ("rss bytes", process.residentBytes),
            ("kafka queued messages", process.kafka.queuedMessages),
            ("kafka sent messages", process.kafka.sentMessages),
            ("kafka broker rtt us", process.kafka.brokerRTTMicroseconds),
        ]
    }

    static func text(_ s: StatusSnapshot, full: Bool) -> String {
        var lines: [String] = []
        func add(_ pairs: [(String, Any)]) {
            for (key, value) in pairs {
                let shown = (value as? Double).map { String(format: "%.3f", $0) } ?? "\(value)"
                lines.append(key + ":" + String(repeating: " ", count: max(1, 23 - key.count)) + shown)
            }
        }
        add(summary(s))
        for request in s.requests {
            add([("requests \(request.route) \(request.status)", request.count)])
        }
        for consumer in s.consumers {
            add([("\(consumer.name) running", consumer.running ? "yes" : "no")])
            add(consumer.counters.map { ("\(consumer.name) \($0.name)", $0.value) })
            add([("\(consumer.name) lag", consumer.lags.reduce(0) { $0 + $1.lag })])
        }
        if full {
            for process in s.processes {
                lines.append("")
                lines.append("************************")
                add(processPairs(process, now: s.nowMicroseconds))
                for request in process.currentRequests {
                    add([("current request", "\(request.route) \(String(format: "%.3f", request.ageSeconds)) s")])
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func json(_ s: StatusSnapshot, full: Bool) -> String {
        func object(_ pairs: [(String, Any)]) -> [String: Any] {
            Dictionary(pairs.map { ($0.0, $0.1) }, uniquingKeysWith: { $1 })
        }
        var root = object(summary(s))
        root["requests"] = s.requests.map {
            ["route": $0.route, "status": $0.status, "count": $0.count] as [String: Any]
        }
        root["consumers"] = s.consumers.map { consumer -> [String: Any] in
            [
                "name": consumer.name, "running": consumer.running,
                "age seconds": consumer.ageSeconds ?? -1,
                "counters": object(consumer.counters.map { ($0.name, $0.value) }),
                "lag": object(consumer.lags.map { ($0.partition, $0.lag) }),
            ]
        }
        if full {
            root["processes"] = s.processes.map { process -> [String: Any] in
                var entry = object(processPairs(process, now: s.nowMicroseconds))
                entry["current requests"] = process.currentRequests.map {
                    ["route": $0.route, "age seconds": $0.ageSeconds] as [String: Any]
                }
                return entry
            }
        }
        guard let data = try? JSONSerialization.data(withJSONObject: root, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// The Prometheus text exposition. Counters and gauges go through swift-prometheus's
    /// registry (names, help, label escaping); the histograms are written here, because the
    /// registry's histograms can only be fed one observation at a time, and the pool's bucket
    /// counts are already summed in the scoreboard.
    static func openMetrics(_ s: StatusSnapshot, full: Bool) -> String {
        let registry = PrometheusCollectorRegistry()
        func counter(_ name: String, _ help: String, _ value: Int64, _ labels: [(String, String)] = []) {
            registry.makeCounter(name: name, labels: labels, help: help).increment(by: max(0, value))
        }
        func gauge(_ name: String, _ help: String, _ value: Double, _ labels: [(String, String)] = []) {
            registry.makeGauge(name: name, labels: labels, help: help).set(to: value)
        }
        func global(_ figure: ScoreboardLayout.Global) -> Int64 { s.globals[figure] ?? 0 }
        typealias Name = ScoreboardMetricsFactory.Name
        gauge("button_pool_start_time_seconds", "When the pool started.", Double(s.poolStartMicroseconds) / 1e6)
        gauge("button_metrics_enabled", "1 when per-request figures are recorded.", s.metricsEnabled ? 1 : 0)
        counter(Name.acceptedRequests, "Requests accepted by the pool.", global(.acceptedRequests))
        counter(
            Name.maxThreadsReached,
            "Requests accepted while all threads of a process were busy.",
            global(.maxThreadsReached)
        )
        counter(Name.slowRequests, "Requests slower than BUTTON_SLOW_REQUEST_MS.", global(.slowRequests))
        counter(Name.requestTimeouts, "Requests answered 503 at BUTTON_REQUEST_TIMEOUT_MS.", global(.requestTimeouts))
        counter(Name.statusDenied, "Status requests refused for their address.", global(.statusDenied))
        counter(
            Name.kafkaProduceErrors,
            "Events Kafka refused or did not acknowledge in time.",
            global(.kafkaProduceErrors)
        )
        gauge(Name.kafkaInFlight, "Events waiting for Kafka's acknowledgement.", Double(global(.kafkaInFlight)))
        if let queue = s.listenQueue {
            gauge("button_listen_queue", "Connections waiting to be accepted.", Double(queue.length))
            gauge("button_listen_queue_limit", "The listen backlog.", Double(queue.limit))
        }
        gauge("button_listen_queue_max", "The longest listen queue seen.", Double(global(.maxListenQueue)))
        gauge("button_processes", "Worker processes.", Double(s.processes.count))
        gauge("button_threads", "Request threads by state.", Double(s.busyThreads), [("state", "busy")])
        gauge(
            "button_threads",
            "Request threads by state.",
            Double(s.totalThreads - s.busyThreads),
            [("state", "idle")]
        )
        for request in s.requests {
            counter(
                Name.requests,
                "Answered requests by route and status.",
                request.count,
                [
                    ("route", request.route), ("status", request.status),
                ]
            )
        }
        let kafka = s.kafkaTotals
        gauge(
            "button_kafka_queued_messages",
            "librdkafka msg_cnt, summed over processes.",
            Double(kafka.queuedMessages)
        )
        gauge("button_kafka_queued_bytes", "librdkafka msg_size, summed over processes.", Double(kafka.queuedBytes))
        gauge("button_kafka_sent_messages", "librdkafka txmsgs of the running producers.", Double(kafka.sentMessages))
        gauge("button_kafka_sent_bytes", "librdkafka tx_bytes of the running producers.", Double(kafka.sentBytes))
        gauge(
            "button_kafka_send_errors",
            "librdkafka brokers' txerrs of the running producers.",
            Double(kafka.sendErrors)
        )
        gauge(
            "button_kafka_broker_rtt_seconds",
            "librdkafka brokers' mean rtt.avg.",
            Double(kafka.brokerRTTMicroseconds) / 1e6
        )
        for consumer in s.consumers {
            let who = [("consumer", consumer.name)]
            gauge(
                "button_consumer_up",
                "1 when the consumer's status file names a running process.",
                consumer.running ? 1 : 0,
                who
            )
            if let age = consumer.ageSeconds {
                gauge("button_consumer_status_age_seconds", "Seconds since the consumer wrote its status.", age, who)
            }
            for item in consumer.counters {
                counter(
                    "button_consumer_events_total",
                    "The consumer's counters (rate() gives throughput).",
                    item.value,
                    who + [("counter", item.name)]
                )
            }
            for lag in consumer.lags {
                gauge(
                    "button_consumer_lag_messages",
                    "Messages behind, per partition.",
                    Double(lag.lag),
                    who + [("partition", lag.partition)]
                )
            }
        }
        if full {
            for process in s.processes {
                let pid = [("pid", String(process.pid))]
                gauge("button_process_requests", "Requests served by the process.", Double(process.requestsServed), pid)
                gauge("button_process_busy_threads", "Busy threads of the process.", Double(process.busyThreads), pid)
                gauge(
                    "button_process_resident_bytes",
                    "Resident memory of the process.",
                    Double(process.residentBytes),
                    pid
                )
                gauge(
                    "button_process_start_time_seconds",
                    "When the process started.",
                    Double(process.startMicroseconds) / 1e6,
                    pid
                )
            }
        }
        var out = registry.emitToString()
        for (name, group) in groupedHistograms(s.histograms) {
            out +=
                "# HELP \(name) \(name == Name.kafkaAckDuration ? "Time from handing an event to Kafka to its acknowledgement." : "Time to answer a request, by route.")\n"
            out += "# TYPE \(name) histogram\n"
            for histogram in group {
                let labels = histogram.labels.map { "\($0.0)=\"\($0.1)\"," }.joined()
                var cumulative: Int64 = 0
                for (bound, count) in zip(ScoreboardLayout.bucketBounds, histogram.bucketCounts) {
                    cumulative += count
                    out += "\(name)_bucket{\(labels)le=\"\(Double(bound) / 1e9)\"} \(cumulative)\n"
                }
                // The count is read last: +Inf is never below a finite bucket.
                out += "\(name)_bucket{\(labels)le=\"+Inf\"} \(max(histogram.count, cumulative + histogram.overflow))\n"
                let plain = histogram.labels.isEmpty ? "" : "{\(labels.dropLast())}"
                out += "\(name)_sum\(plain) \(histogram.sumSeconds)\n"
                out += "\(name)_count\(plain) \(max(histogram.count, cumulative + histogram.overflow))\n"
            }
        }
        return out
    }

    static func groupedHistograms(_ histograms: [StatusSnapshot.Histogram]) -> [(String, [StatusSnapshot.Histogram])] {
        var order: [String] = []
        var groups: [String: [StatusSnapshot.Histogram]] = [:]
        for histogram in histograms {
            if groups[histogram.name] == nil { order.append(histogram.name) }
            groups[histogram.name, default: []].append(histogram)
        }
        return order.map { ($0, groups[$0] ?? []) }
    }
}
