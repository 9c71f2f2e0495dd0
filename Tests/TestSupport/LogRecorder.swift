import Foundation
public import Logging

/// Collects log entries in memory, for tests that check what a component logs.
/// `@unchecked Sendable`: `stored` is only touched with `lock` held.
public final class LogRecorder: @unchecked Sendable {
    public struct Entry: Sendable {
        public let level: Logger.Level
        public let message: String
        /// The entry's metadata (handler and call site merged) as one rendered text.
        public let metadata: String
        /// The same metadata, key by key.
        public let values: [String: String]
    }

    private let lock = NSLock()
    private var stored: [Entry] = []

    public init() {}

    public var entries: [Entry] {
        lock.withLock { stored }
    }

    func append(_ entry: Entry) {
        lock.withLock { stored.append(entry) }
    }

    /// A logger whose every entry (all levels) lands here.
    public func logger(label: String = "recorded") -> Logger {
        Logger(label: label) { _ in RecordingLogHandler(recorder: self) }
    }
}

/// The handler behind ``LogRecorder/logger(label:)``.
public struct RecordingLogHandler: LogHandler {
    let recorder: LogRecorder
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init(recorder: LogRecorder) { self.recorder = recorder }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        recorder.append(
            .init(
                level: event.level,
                message: "\(event.message)",
                metadata: "\(event.metadata ?? [:])",
                values: merged.mapValues { "\($0)" }
            )
        )
    }
}
