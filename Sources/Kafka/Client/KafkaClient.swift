internal import CRdKafka
internal import Logging

/// What librdkafka's global callbacks (log, error) need; passed to them as the handle's opaque.
final class KafkaClientContext: Sendable {
    let logger: Logger
    /// Receives librdkafka's statistics JSON (`statistics.interval.ms`), if anyone asked.
    let statistics: (@Sendable ([UInt8]) -> Void)?

    init(logger: Logger, statistics: (@Sendable ([UInt8]) -> Void)? = nil) {
        self.logger = logger
        self.statistics = statistics
    }
}

/// Owns one `rd_kafka_t` and destroys it in `deinit`.
///
/// `@unchecked Sendable`: librdkafka's handle is thread-safe (every public `rd_kafka_*` call on
/// it may be made from any thread), and this class has no mutable state of its own.
final class KafkaClient: @unchecked Sendable {
    /// The `rd_kafka_t *`.
    let handle: OpaquePointer
    /// Must outlive `handle`: librdkafka calls back into it until `rd_kafka_destroy` returns.
    private let context: KafkaClientContext
    let logger: Logger

    /// Creates the handle. Takes ownership of `conf` (destroys it on failure too).
    init(
        type: rd_kafka_type_t,
        conf: OpaquePointer,
        logger: Logger,
        statistics: (@Sendable ([UInt8]) -> Void)? = nil
    ) throws(KafkaError) {
        let context = KafkaClientContext(logger: logger, statistics: statistics)
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(context).toOpaque())
        rd_kafka_conf_set_log_cb(conf, kafkaLogCallback)
        rd_kafka_conf_set_error_cb(conf, kafkaErrorCallback)
        if statistics != nil { rd_kafka_conf_set_stats_cb(conf, kafkaStatisticsCallback) }
        var errorText = [CChar](repeating: 0, count: 512)
        let handle = errorText.withUnsafeMutableBufferPointer { buffer in
            rd_kafka_new(type, conf, buffer.baseAddress, buffer.count)
        }
        guard let handle else {
            rd_kafka_conf_destroy(conf)
            let detail = String(decoding: errorText.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw KafkaError(code: .configuration, message: "cannot create the Kafka client: \(detail)")
        }
        self.handle = handle
        self.context = context
        self.logger = logger
    }

    deinit {
        rd_kafka_destroy(handle)
    }

    /// The client's instance name, e.g. `rdkafka#producer-1`.
    var name: String { String(cString: rd_kafka_name(handle)) }

    /// The fatal error that made this client unusable, if any.
    func fatalClientError() -> KafkaError? {
        var errorText = [CChar](repeating: 0, count: 512)
        let err = errorText.withUnsafeMutableBufferPointer { buffer in
            rd_kafka_fatal_error(handle, buffer.baseAddress, buffer.count)
        }
        guard err != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        let detail = String(decoding: errorText.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return KafkaError(
            code: .fatal,
            message: "fatal Kafka client error: \(detail)",
            librdkafkaCode: err.rawValue,
            librdkafkaName: String(cString: rd_kafka_err2name(err))
        )
    }
}

private func context(of handle: OpaquePointer?) -> KafkaClientContext? {
    guard let handle, let opaque = rd_kafka_opaque(handle) else { return nil }
    return Unmanaged<KafkaClientContext>.fromOpaque(opaque).takeUnretainedValue()
}

/// librdkafka's log lines (syslog levels). A library logs at info or below: errors that matter
/// to the caller reach it as thrown errors or failed deliveries.
private func kafkaLogCallback(
    handle: OpaquePointer?,
    level: Int32,
    facility: UnsafePointer<CChar>?,
    text: UnsafePointer<CChar>?
) {
    guard let context = context(of: handle) else { return }
    let logLevel: Logger.Level =
        switch level {
        case ...4: .info
        case 5, 6: .debug
        default: .trace
        }
    context.logger.log(
        level: logLevel,
        "\(text.map { String(cString: $0) } ?? "")",
        metadata: [
            KafkaLogKey.facility: "\(facility.map { String(cString: $0) } ?? "")",
            KafkaLogKey.client: "\(handle.map { String(cString: rd_kafka_name($0)) } ?? "")",
            KafkaLogKey.syslogLevel: "\(level)",
        ]
    )
}

/// librdkafka's statistics, every `statistics.interval.ms`, on the thread that polls.
/// Returning 0 lets librdkafka free the JSON.
private func kafkaStatisticsCallback(
    handle: OpaquePointer?,
    json: UnsafeMutablePointer<CChar>?,
    length: Int,
    opaque: UnsafeMutableRawPointer?
) -> Int32 {
    guard let context = context(of: handle), let statistics = context.statistics, let json else { return 0 }
    statistics(Array(UnsafeRawBufferPointer(start: json, count: length)))
    return 0
}

/// Errors librdkafka reports outside any request (e.g. all brokers down). They are also
/// logged through the log callback, so they go to debug here unless fatal.
private func kafkaErrorCallback(
    handle: OpaquePointer?,
    err: Int32,
    reason: UnsafePointer<CChar>?,
    opaque: UnsafeMutableRawPointer?
) {
    guard let context = context(of: handle) else { return }
    let code = rd_kafka_resp_err_t(rawValue: err)
    context.logger.log(
        level: code == RD_KAFKA_RESP_ERR__FATAL ? .info : .debug,
        "Kafka client error: \(reason.map { String(cString: $0) } ?? "")",
        metadata: [
            KafkaLogKey.error: "\(String(cString: rd_kafka_err2name(code)))",
            KafkaLogKey.client: "\(handle.map { String(cString: rd_kafka_name($0)) } ?? "")",
        ]
    )
}

/// Logger metadata keys used by this module.
enum KafkaLogKey {
    static let facility = "kafka.facility"
    static let client = "kafka.client"
    static let syslogLevel = "kafka.syslog_level"
    static let error = "kafka.error"
    static let topic = "kafka.topic"
    static let partition = "kafka.partition"
    static let offset = "kafka.offset"
}

extension Duration {
    /// Whole milliseconds for librdkafka timeouts, clamped to `0...Int32.max`.
    var kafkaMilliseconds: Int32 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        guard seconds < Int64(Int32.max) / 1000 else { return Int32.max }
        return Int32(seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}
