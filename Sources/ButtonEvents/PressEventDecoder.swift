import Avro

/// Decodes `button_presses` message values: Confluent framing, the writer schema named by its
/// id, resolved against the current reader schema (``PressEvent/schema``).
///
/// One place for every reader of the topic (the console, the PostgreSQL sink, the ClickHouse
/// enricher): events written under older or newer compatible schema versions, including the
/// original app's, decode the same way everywhere. Writer schemas are fetched once per id
/// through `fetchSchema` (e.g. a `SchemaRegistryClient`) and kept with their compatibility
/// verdict. Not thread-safe: give each consumer thread its own decoder.
public struct PressEventDecoder {
    /// Why a message is not an event. Permanent: the same bytes will never decode.
    public struct Failure: Error, CustomStringConvertible, Sendable, Equatable {
        /// The reason, for a dead-letter row or a log line; never contains the message bytes.
        public let reason: String
        public var description: String { reason }
        /// - Parameter reason: Why the message is not an event.
        public init(_ reason: String) { self.reason = reason }
    }

    /// A writer schema and whether the reader can resolve it.
    private enum Writer {
        case usable(AvroSchema)
        case unusable(String)
    }

    private let fetchSchema: (Int32) async throws -> String
    private let isUnknownSchema: (any Error) -> Bool
    private var writers: [Int32: Writer] = [:]

    /// - Parameters:
    ///   - fetchSchema: Returns the schema text registered under an id. Its errors are
    ///     rethrown (the caller retries them later) except those `isUnknownSchema` accepts.
    ///   - isUnknownSchema: Whether a `fetchSchema` error means the id does not exist (e.g. a
    ///     registry 404): the message then fails with a ``Failure``.
    public init(
        fetchSchema: @escaping (Int32) async throws -> String,
        isUnknownSchema: @escaping (any Error) -> Bool
    ) {
        self.fetchSchema = fetchSchema
        self.isUnknownSchema = isUnknownSchema
    }

    /// Decodes one message value.
    /// - Parameter value: The framed message value.
    /// - Returns: The event with its writer schema id.
    /// - Throws: ``Failure`` for a message that can never decode (no framing, unknown or
    ///   incompatible schema, corrupt bytes, not an event); any other error comes from
    ///   `fetchSchema` and may pass.
    public mutating func decode(_ value: [UInt8]) async throws -> (event: PressEvent, schemaID: Int32) {
        let schemaID: Int32
        let body: [UInt8]
        do {
            (schemaID, body) = try ConfluentWireFormat.unframe(value)
        } catch {
            throw Failure("not Confluent-framed: \(error)")
        }
        let schema = try await writer(schemaID)
        let decoded: AvroValue
        do {
            decoded = try schema.decode(body)
        } catch {
            throw Failure("corrupt Avro body for schema \(schemaID): \(error)")
        }
        guard let event = PressEvent(decoded) else {
            throw Failure("schema \(schemaID): a field has a value a button event cannot have")
        }
        return (event, schemaID)
    }

    private mutating func writer(_ id: Int32) async throws -> AvroSchema {
        if let known = writers[id] {
            switch known {
            case .usable(let schema): return schema
            case .unusable(let reason): throw Failure(reason)
            }
        }
        let text: String
        do {
            text = try await fetchSchema(id)
        } catch {
            guard isUnknownSchema(error) else { throw error }
            // Not cached: an id unknown now may be registered later by a slow producer.
            throw Failure("unknown schema id \(id)")
        }
        let writer = Self.resolve(id: id, text: text)
        writers[id] = writer
        switch writer {
        case .usable(let schema): return schema
        case .unusable(let reason): throw Failure(reason)
        }
    }

    /// Parses a writer schema and checks that the reader schema resolves it.
    private static func resolve(id: Int32, text: String) -> Writer {
        let schema: AvroSchema
        do {
            schema = try AvroSchema(parsing: text)
        } catch {
            return .unusable("schema \(id) does not parse: \(error)")
        }
        switch PressEvent.schema.compatibility(readingDataWrittenWith: schema) {
        case .compatible: return .usable(schema)
        case .incompatible(let problems):
            return .unusable("schema \(id) cannot be read as a button event: \(problems.joined(separator: "; "))")
        }
    }
}
