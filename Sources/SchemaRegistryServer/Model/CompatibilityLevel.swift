public import Avro

/// A subject's compatibility rule, as named by the Confluent API.
public enum CompatibilityLevel: String, CaseIterable, Sendable, Codable {
    case none = "NONE"
    case backward = "BACKWARD"
    case backwardTransitive = "BACKWARD_TRANSITIVE"
    case forward = "FORWARD"
    case forwardTransitive = "FORWARD_TRANSITIVE"
    case full = "FULL"
    case fullTransitive = "FULL_TRANSITIVE"

    /// The level used when neither the subject nor the global config sets one.
    public static let `default`: CompatibilityLevel = .backward

    /// Whether the candidate is checked against every earlier version or only the latest.
    public var isTransitive: Bool {
        self == .backwardTransitive || self == .forwardTransitive || self == .fullTransitive
    }

    /// Checks `candidate` against existing versions (oldest first).
    ///
    /// BACKWARD: the candidate reads data written with the existing schema. FORWARD: the
    /// existing schema reads data written with the candidate. FULL: both.
    /// - Parameters:
    ///   - candidate: the schema being registered or tested.
    ///   - existing: the subject's schemas, oldest first.
    /// - Returns: reasons it is incompatible; empty when compatible.
    public func problems(registering candidate: AvroSchema, against existing: [AvroSchema]) -> [String] {
        guard self != .none, let latest = existing.last else { return [] }
        let targets = isTransitive ? existing : [latest]
        var reasons: [String] = []
        for (offset, old) in targets.enumerated() {
            let label = isTransitive ? "version #\(offset + 1)" : "the latest version"
            if self != .forward && self != .forwardTransitive,
                case .incompatible(let why) = candidate.compatibility(readingDataWrittenWith: old)
            {
                reasons += why.map { "reading data written with \(label): \($0)" }
            }
            if self != .backward && self != .backwardTransitive,
                case .incompatible(let why) = old.compatibility(readingDataWrittenWith: candidate)
            {
                reasons += why.map { "\(label) reading data written with the new schema: \($0)" }
            }
        }
        return reasons
    }
}
