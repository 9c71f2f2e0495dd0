import Foundation

/// librdkafka's statistics (`statistics.interval.ms`) reduced to the gauges the status page
/// shows; the full JSON is tens of kilobytes per broker and partition.
public struct KafkaStatistics: Sendable, Equatable {
    /// Messages in the producer's queues (`msg_cnt`).
    public var queuedMessages: Int64 = 0
    /// Their bytes (`msg_size`).
    public var queuedBytes: Int64 = 0
    /// Messages sent to brokers since the producer started (`txmsgs`).
    public var sentMessages: Int64 = 0
    /// Bytes sent to brokers (`tx_bytes`).
    public var sentBytes: Int64 = 0
    /// Send errors over all brokers (`brokers.*.txerrs`).
    public var sendErrors: Int64 = 0
    /// The mean broker round trip over brokers that have one (`brokers.*.rtt.avg`), µs.
    public var brokerRTTMicroseconds: Int64 = 0

    public init() {}

    /// Reads the figures out of one statistics document; nil when it is not JSON.
    public init?(json: [UInt8]) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] else {
            return nil
        }
        func number(_ value: Any?) -> Int64 { (value as? NSNumber)?.int64Value ?? 0 }
        queuedMessages = number(object["msg_cnt"])
        queuedBytes = number(object["msg_size"])
        sentMessages = number(object["txmsgs"])
        sentBytes = number(object["tx_bytes"])
        var rtts: [Int64] = []
        if let brokers = object["brokers"] as? [String: Any] {
            for case let broker as [String: Any] in brokers.values {
                sendErrors += number(broker["txerrs"])
                // The bootstrap placeholder (nodeid -1) has no round trips of its own.
                if let rtt = broker["rtt"] as? [String: Any], number(rtt["cnt"]) > 0 {
                    rtts.append(number(rtt["avg"]))
                }
            }
        }
        brokerRTTMicroseconds = rtts.isEmpty ? 0 : rtts.reduce(0, +) / Int64(rtts.count)
    }
}
