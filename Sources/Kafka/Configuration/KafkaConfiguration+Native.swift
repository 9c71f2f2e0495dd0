internal import CRdKafka

extension KafkaConfiguration {
    /// Builds an `rd_kafka_conf_t` from ``properties`` merged with `overrides` (which win).
    ///
    /// The caller owns the result: `rd_kafka_new` takes it over on success, otherwise the caller
    /// must `rd_kafka_conf_destroy` it.
    func makeNativeConfiguration(overrides: [String: String] = [:]) throws(KafkaError) -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(code: .configuration, message: "rd_kafka_conf_new failed (out of memory)")
        }
        let merged = properties.merging(overrides) { _, override in override }
        for name in merged.keys.sorted() {
            do {
                try Self.set(name, merged[name] ?? "", on: conf)
            } catch {
                rd_kafka_conf_destroy(conf)
                throw error
            }
        }
        return conf
    }

    /// Sets one property, turning librdkafka's result into an error that names the property.
    static func set(_ name: String, _ value: String, on conf: OpaquePointer) throws(KafkaError) {
        var errorText = [CChar](repeating: 0, count: 512)
        let result = errorText.withUnsafeMutableBufferPointer { buffer in
            rd_kafka_conf_set(conf, name, value, buffer.baseAddress, buffer.count)
        }
        let detail = String(decoding: errorText.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch result {
        case RD_KAFKA_CONF_OK:
            return
        case RD_KAFKA_CONF_UNKNOWN:
            throw KafkaError(code: .configuration, message: "unknown configuration property \"\(name)\"")
        default:
            // librdkafka's text may quote the value; keep it out for secrets.
            let reason = isSensitive(name) || detail.isEmpty ? "" : " (\(detail))"
            throw KafkaError(
                code: .configuration,
                message: "invalid value for configuration property \"\(name)\"\(reason)"
            )
        }
    }
}
