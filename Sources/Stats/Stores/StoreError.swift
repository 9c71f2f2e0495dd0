/// The stores the stats page reads.
public enum Store: String, Sendable, CaseIterable {
    case postgres = "PostgreSQL"
    case clickHouse = "ClickHouse"
    case kafka = "Kafka"
}

/// Why a store could not answer. Its `description` goes to the log; the page shows only
/// `publicReason`, which never carries a query, a value or a server's message.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case unavailable, timedOut, failed, busy }
    public let kind: Kind
    public let store: Store
    public let detail: String

    init(_ kind: Kind, store: Store, _ detail: String) {
        self.kind = kind
        self.store = store
        self.detail = detail
    }

    public var description: String { "\(store.rawValue): \(detail)" }

    /// What the page says, e.g. "ClickHouse did not answer in time".
    public var publicReason: String {
        switch kind {
        case .unavailable: "\(store.rawValue) is unavailable"
        case .timedOut: "\(store.rawValue) did not answer in time"
        case .failed: "\(store.rawValue) could not answer this query"
        case .busy: "\(store.rawValue) is busy with earlier queries"
        }
    }
}
