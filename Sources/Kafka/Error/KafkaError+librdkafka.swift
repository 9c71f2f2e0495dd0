internal import CRdKafka

/// The one place that turns librdkafka's error codes into ``KafkaError``.
extension KafkaError {
    /// Converts a non-zero `rd_kafka_resp_err_t`.
    /// - Parameters:
    ///   - err: The librdkafka error.
    ///   - context: What was being done, e.g. "produce to button_presses".
    ///   - detail: librdkafka's own error string when it has a better one than `rd_kafka_err2str`.
    ///   - fallback: The code to use when the error has no more specific category.
    static func librdkafka(
        _ err: rd_kafka_resp_err_t,
        _ context: String,
        detail: String? = nil,
        fallback: Code = .other,
        file: String = #fileID,
        line: Int = #line
    ) -> KafkaError {
        let text = detail ?? String(cString: rd_kafka_err2str(err))
        return KafkaError(
            code: category(of: err) ?? fallback,
            message: "\(context): \(text)",
            librdkafkaCode: err.rawValue,
            librdkafkaName: String(cString: rd_kafka_err2name(err)),
            file: file,
            line: line
        )
    }

    /// Throws the failures of a request that names several resources (topics, configs): the
    /// only one as it is, several as one error with every message and the first's code.
    static func throwIfAny(_ failures: [KafkaError]) throws(KafkaError) {
        guard let first = failures.first else { return }
        guard failures.count > 1 else { throw first }
        throw KafkaError(
            code: first.code,
            message: failures.map(\.message).joined(separator: "; "),
            librdkafkaCode: first.librdkafkaCode,
            librdkafkaName: first.librdkafkaName
        )
    }

    /// Converts (and destroys) an `rd_kafka_error_t` object.
    static func consuming(
        _ error: OpaquePointer,
        _ context: String,
        fallback: Code = .other,
        file: String = #fileID,
        line: Int = #line
    ) -> KafkaError {
        defer { rd_kafka_error_destroy(error) }
        let err = rd_kafka_error_code(error)
        let detail = rd_kafka_error_string(error).map { String(cString: $0) }
        if rd_kafka_error_is_fatal(error) != 0 {
            return KafkaError(
                code: .fatal,
                message: "\(context): \(detail ?? "fatal error")",
                librdkafkaCode: err.rawValue,
                librdkafkaName: String(cString: rd_kafka_err2name(err)),
                file: file,
                line: line
            )
        }
        return librdkafka(err, context, detail: detail, fallback: fallback, file: file, line: line)
    }

    /// Throws when `err` is not `RD_KAFKA_RESP_ERR_NO_ERROR`.
    static func check(
        _ err: rd_kafka_resp_err_t,
        _ context: @autoclosure () -> String,
        file: String = #fileID,
        line: Int = #line
    ) throws(KafkaError) {
        guard err != RD_KAFKA_RESP_ERR_NO_ERROR else { return }
        throw librdkafka(err, context(), file: file, line: line)
    }

    private static func category(of err: rd_kafka_resp_err_t) -> Code? {
        switch err {
        case RD_KAFKA_RESP_ERR__QUEUE_FULL:
            return .queueFull
        case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
            return .messageTimedOut
        case RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__RESOLVE,
            RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
            return .brokerUnavailable
        case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION,
            RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
            return .unknownTopic
        case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
            return .topicAlreadyExists
        case RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
            return .timedOut
        case RD_KAFKA_RESP_ERR__FATAL:
            return .fatal
        case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE, RD_KAFKA_RESP_ERR__NOT_IMPLEMENTED,
            RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
            return .unsupported
        case RD_KAFKA_RESP_ERR__AUTHENTICATION, RD_KAFKA_RESP_ERR__SSL, RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED,
            RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED,
            RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
            return .authentication
        case RD_KAFKA_RESP_ERR__INVALID_ARG, RD_KAFKA_RESP_ERR__UNKNOWN_BROKER:
            return .invalidArgument
        case RD_KAFKA_RESP_ERR__DESTROY, RD_KAFKA_RESP_ERR__PURGE_QUEUE, RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
            return .closed
        case RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
            RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION, RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID,
            RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
            RD_KAFKA_RESP_ERR__UNKNOWN_GROUP, RD_KAFKA_RESP_ERR_INVALID_GROUP_ID:
            return .consumerGroup
        default:
            return nil
        }
    }
}

/// Looks up librdkafka error codes by name, for fault injection in the mock cluster.
enum KafkaErrorNames {
    /// Names Kafka renamed after librdkafka 2.0.2 fixed its enum; both spellings are accepted.
    private static let aliases: [String: String] = [
        "NOT_LEADER_OR_FOLLOWER": "NOT_LEADER_FOR_PARTITION",
        "GROUP_LOAD_IN_PROGRESS": "COORDINATOR_LOAD_IN_PROGRESS",
        "GROUP_COORDINATOR_NOT_AVAILABLE": "COORDINATOR_NOT_AVAILABLE",
        "NOT_COORDINATOR_FOR_GROUP": "NOT_COORDINATOR",
    ]

    /// The code for `name` (with or without the `RD_KAFKA_RESP_ERR_` prefix, any case), or a
    /// decimal number.
    static func code(named name: String) -> rd_kafka_resp_err_t? {
        var wanted = name.uppercased()
        if wanted.hasPrefix("RD_KAFKA_RESP_ERR_") {
            wanted.removeFirst("RD_KAFKA_RESP_ERR_".count)
        }
        if let number = Int32(wanted) {
            return rd_kafka_resp_err_t(rawValue: number)
        }
        wanted = aliases[wanted] ?? wanted
        var descs: UnsafePointer<rd_kafka_err_desc>?
        var count = 0
        rd_kafka_get_err_descs(&descs, &count)
        guard let descs else { return nil }
        for desc in UnsafeBufferPointer(start: descs, count: count) {
            if let descName = desc.name, String(cString: descName) == wanted {
                return desc.code
            }
        }
        return nil
    }
}
