public import Foundation

/// The press pool's `/status` page, read through nginx, with the Prometheus form parsed by
/// an independent parser (Python's `prometheus_client`, Debian's python3-prometheus-client).
public struct PoolStatusPage: Sendable {
    public let appURL: String
    public init(appURL: String) { self.appURL = appURL }

    /// `GET /status?<query>`.
    public func get(_ query: String = "", forwardedFor: String? = nil) async throws -> HTTP.Answer {
        var headers: [String: String] = [:]
        if let forwardedFor { headers["X-Forwarded-For"] = forwardedFor }
        return try await HTTP.send("GET", appURL + "/status" + (query.isEmpty ? "" : "?" + query), headers: headers)
    }

    /// `?json`, parsed with JSONSerialization.
    public func json(full: Bool = false) async throws -> [String: Any] {
        let answer = try await get(full ? "json&full" : "json")
        guard answer.status == 200,
            let object = try JSONSerialization.jsonObject(with: answer.body) as? [String: Any]
        else { throw StackEnvError(message: "/status?json: \(answer.status) \(answer.text)") }
        return object
    }

    /// Prints every sample as `name{label="value",…} value`, labels sorted, one per line,
    /// then `FAMILY name type` lines.
    static let parser = """
        import sys
        from prometheus_client.parser import text_string_to_metric_families
        for family in text_string_to_metric_families(sys.stdin.read()):
            print('FAMILY', family.name, family.type)
            for sample in family.samples:
                labels = ','.join('%s="%s"' % (k, v) for k, v in sorted(sample.labels.items()))
                print('%s{%s} %r' % (sample.name, labels, sample.value))
        """

    /// The families and samples of an exposition, as the independent parser read them.
    public struct Exposition: Sendable {
        public let families: [String: String]
        public let samples: [String: Double]
        /// The value of `name{labels}` (labels sorted, as `k="v",…`), or nil.
        public func value(_ name: String, _ labels: String = "") -> Double? { samples["\(name){\(labels)}"] }
    }

    /// Parses `text` with `prometheus_client`.
    /// - Throws: when the parser refuses the text.
    public static func parse(_ text: String) throws -> Exposition {
        let result = try Command.run("/usr/bin/python3", ["-c", parser], input: Data(text.utf8))
        guard result.status == 0 else {
            throw StackEnvError(message: "prometheus_client refused the exposition: \(result.errors)\n\(text)")
        }
        var families: [String: String] = [:]
        var samples: [String: Double] = [:]
        for line in result.output.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.first == "FAMILY", parts.count == 3 {
                families[String(parts[1])] = String(parts[2])
            } else if let value = parts.last.flatMap({ Double($0) }) {
                samples[String(line.dropLast(parts.last?.count ?? 0).dropLast())] = value
            }
        }
        return Exposition(families: families, samples: samples)
    }

    /// `?openmetrics` (with `full` when asked), parsed independently.
    public func exposition(full: Bool = false) async throws -> Exposition {
        let answer = try await get(full ? "openmetrics&full" : "openmetrics")
        guard answer.status == 200 else { throw StackEnvError(message: "/status?openmetrics: \(answer.status)") }
        return try Self.parse(answer.text)
    }
}
