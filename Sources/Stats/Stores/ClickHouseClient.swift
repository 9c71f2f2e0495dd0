public import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Runs read queries on ClickHouse's HTTP interface and returns TabSeparated rows.
///
/// Blocking by design: a stats panel loads on a plain background thread (see `PanelCache`).
/// The HTTP client is Foundation's URLSession, with the timeout both on the request and as
/// ClickHouse's own `max_execution_time`, so a slow query is cancelled on the server too.
///
/// One query at a time per client (per stats process): the panels' queries queue rather than
/// run side by side, so a page load asking for a dozen panels never takes every core from
/// the press path, and each query's duration is its own cost (`QueueWait` tells the panel
/// cache how long it waited).
public final class ClickHouseClient: Sendable {
    let timeout: Duration
    /// The interface's URL with the settings every stats query carries: ClickHouse's own
    /// time limit, and read-only. Nil when `CLICKHOUSE_URL` cannot carry them.
    private let target: URL?
    private let session: URLSession
    private let turn = DispatchSemaphore(value: 1)

    /// - Parameters:
    ///   - url: the HTTP interface, e.g. `http://127.0.0.1:8123` (credentials in the URL if any).
    ///   - timeout: how long a query may take, connecting included.
    public init(url: URL, timeout: Duration) {
        self.timeout = timeout
        var components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        let given = components?.queryItems ?? []
        components?.queryItems =
            given + [
                URLQueryItem(name: "max_execution_time", value: String(max(1, Int(timeout.seconds.rounded(.up))))),
                URLQueryItem(name: "readonly", value: "1"),
            ]
        target = components?.url
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout.seconds
        configuration.timeoutIntervalForResource = timeout.seconds
        configuration.httpMaximumConnectionsPerHost = 8
        session = URLSession(configuration: configuration)
    }

    /// Runs one SELECT and returns its rows; `nil` fields are SQL NULLs (`\N`).
    /// - Parameter sql: the query, without a FORMAT clause; values only through `ClickHouseSQL`.
    /// - Throws: `StoreError` (.unavailable, .timedOut or .failed with ClickHouse's message).
    public func rows(_ sql: String) throws(StoreError) -> [[String?]] {
        let queued = ContinuousClock.now
        guard turn.wait(timeout: .now() + timeout.seconds) == .success else {
            throw StoreError(.timedOut, store: .clickHouse, "earlier queries held ClickHouse for \(timeout)")
        }
        defer { turn.signal() }
        QueueWait.add(queued.duration(to: .now))
        guard let target else { throw StoreError(.failed, store: .clickHouse, "bad CLICKHOUSE_URL") }
        var request = URLRequest(url: target)
        request.httpMethod = "POST"
        request.timeoutInterval = timeout.seconds
        request.httpBody = Data((sql + "\nFORMAT TabSeparated").utf8)
        let box = ResponseBox()
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: request) { data, response, error in
            box.set(data: data, status: (response as? HTTPURLResponse)?.statusCode, error: error)
            done.signal()
        }
        task.resume()
        if done.wait(timeout: .now() + timeout.seconds + 0.5) == .timedOut {
            task.cancel()
            throw StoreError(.timedOut, store: .clickHouse, "no answer within \(timeout)")
        }
        let (data, status, error) = box.get()
        if let error {
            let code = (error as? URLError)?.code
            throw StoreError(
                code == .timedOut ? .timedOut : .unavailable,
                store: .clickHouse,
                "\(error.localizedDescription)"
            )
        }
        let body = data ?? Data()
        guard status == 200 else {
            let text = String(decoding: body.prefix(500), as: UTF8.self)
            throw StoreError(.failed, store: .clickHouse, "HTTP \(status ?? 0): \(text)")
        }
        return Self.parseTabSeparated(body)
    }

    /// Splits TabSeparated output into rows and unescaped fields (`\N` is NULL).
    static func parseTabSeparated(_ data: Data) -> [[String?]] {
        var rows: [[String?]] = []
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            rows.append(line.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false).map(unescape))
        }
        return rows
    }

    static func unescape(_ field: Data.SubSequence) -> String? {
        if field.count == 2, field.first == UInt8(ascii: "\\"), field.last == UInt8(ascii: "N") { return nil }
        guard field.contains(UInt8(ascii: "\\")) else { return String(decoding: field, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(field.count)
        var escaped = false
        for byte in field {
            if escaped {
                switch byte {
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "0"): out.append(0)
                case UInt8(ascii: "b"): out.append(8)
                case UInt8(ascii: "f"): out.append(12)
                default: out.append(byte)
                }
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else {
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Time the current thread spent waiting for its turn at a store, so that the panel cache
/// can tell a panel's own cost from the queue in front of it. Per thread: each panel load
/// runs on a thread of its own (`PanelCache`).
enum QueueWait {
    static let key = "stats.queue-wait-seconds"

    static func add(_ wait: Duration) {
        let dictionary = Thread.current.threadDictionary
        dictionary[key] = ((dictionary[key] as? Double) ?? 0) + wait.seconds
    }

    /// The waits added on this thread since the last call, and starts over.
    static func take() -> Duration {
        let dictionary = Thread.current.threadDictionary
        let seconds = (dictionary[key] as? Double) ?? 0
        dictionary[key] = nil
        return .milliseconds(Int64(seconds * 1000))
    }
}

/// Hands URLSession's answer to the waiting thread; the semaphore orders the accesses.
private final class ResponseBox: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    private var status: Int?
    private var error: (any Error)?
    func set(data: Data?, status: Int?, error: (any Error)?) {
        lock.withLock { (self.data, self.status, self.error) = (data, status, error) }
    }
    func get() -> (Data?, Int?, (any Error)?) { lock.withLock { (data, status, error) } }
}

extension Duration {
    /// The duration in seconds, as Foundation's APIs take it.
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
