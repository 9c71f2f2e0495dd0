import ButtonEvents
import Foundation
import Kafka

extension PressStack {
    /// The registry id of the current event schema (the workers registered it at start).
    /// Retries for 10 s: right after a PostgreSQL restart the registry's first answers fail.
    public func schemaID() async throws -> Int32 {
        // The id of PressEvent.schemaJSON itself (the registry's lookup, POST /subjects/S),
        // not of the subject's latest version: tests running alongside register other
        // versions (the original app's schema), and the workers write with this one.
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let answer = try? await HTTP.json(
                "POST",
                "\(registry)/subjects/\(PressEvent.subject)",
                ["schema": PressEvent.schemaJSON]
            )
            if let id = (answer?.json as? [String: Any])?["id"] as? Int { return Int32(id) }
            guard ContinuousClock.now < deadline else {
                throw StackEnvError(
                    message: "the registry has no \(PressEvent.subject) with our schema: \(answer?.text ?? "no answer")"
                )
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Sends values to `button_presses` with one key (so one partition, in this order) and
    /// waits for every acknowledgement.
    /// - Returns: the (partition, offset) of each value.
    public func produce(_ values: [[UInt8]], key: [UInt8]) throws -> [(partition: Int32, offset: Int64)] {
        let producer = try KafkaProducer(
            configuration: KafkaConfiguration(bootstrapServers: bootstrap),
            messageTimeout: .seconds(20)
        )
        defer { _ = producer.close(timeout: .seconds(5)) }
        let deliveries = try values.map { try producer.send(topic: PressEvent.topic, key: key, value: $0) }
        return try deliveries.map { delivery in
            guard case .delivered(let partition, let offset) = delivery.wait(timeout: .seconds(30)) else {
                throw StackEnvError(message: "a message was not delivered")
            }
            return (partition, offset)
        }
    }
}
