import Foundation

/// Reads Confluent-framed button events the way the original workshop app's consumer does,
/// in Python: the writer schema fetched from the registry by the id in each message, the
/// body decoded with that schema alone (no reader schema), then the app's pydantic `Event`
/// model, whose `timestamp` is an `int` and `session_id` a `str`.
///
/// Runs Debian's interpreter, which has python3-avro and python3-pydantic from Debian and
/// fastavro from `scripts/install-deps`. A missing package makes Python fail, and so the
/// test: CI must never skip this check.
public enum OriginalAppConsumer {
    /// The Python Avro library that decodes.
    public enum Reader: String, Sendable, CaseIterable, CustomStringConvertible {
        /// The reference library, `avro.io.DatumReader(writer_schema)`, as the original app.
        case avro
        /// `fastavro.schemaless_reader(body, writer_schema)`.
        case fastavro

        public var description: String { rawValue }
    }

    /// What the consumer made of the messages.
    public struct Outcome: @unchecked Sendable {
        // @unchecked: the records are JSON values (strings, numbers, NSNull), never mutated.
        /// Python's exit status: non-zero when a message could not be decoded or validated.
        public let status: Int32
        /// One per message: `schema_id`, `types` (field → Python type name as decoded) and
        /// `event` (field → value; with the model, what the model holds).
        public let records: [[String: Any]]
        /// Python's error output (a pydantic `ValidationError` names the failing fields).
        public let errors: String
    }

    static let script = """
        import datetime, io, json, struct, sys, urllib.request, uuid
        import avro.io, avro.schema
        import fastavro
        from pydantic import BaseModel

        class Event(BaseModel):
            # The original app's model: plain int and str, no datetime or UUID.
            session_id: str
            timestamp: int
            cohort: int | None
            action: str
            country_name: str
            country_code: str
            subdivision_name: str
            subdivision_code: str
            city_name: str

        reader_name, mode, registry, path = sys.argv[1:5]
        cached_schema = {}

        def writer_schema(schema_id):
            if schema_id not in cached_schema:
                with urllib.request.urlopen(f"{registry}/schemas/ids/{schema_id}") as answer:
                    text = json.load(answer)["schema"]
                if reader_name == "avro":
                    cached_schema[schema_id] = avro.schema.parse(text)
                else:
                    cached_schema[schema_id] = fastavro.parse_schema(json.loads(text))
            return cached_schema[schema_id]

        def unpack(message):
            zero_byte, schema_id = struct.unpack(">bI", message[:5])
            if zero_byte != 0:
                raise ValueError("message does not start with a zero byte")
            body = io.BytesIO(message[5:])
            if reader_name == "avro":
                record = avro.io.DatumReader(writer_schema(schema_id)).read(avro.io.BinaryDecoder(body))
            else:
                record = fastavro.schemaless_reader(body, writer_schema(schema_id))
            if body.tell() != len(message) - 5:
                raise ValueError("bytes left after the record")
            return schema_id, record

        EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

        def plain(value):
            # Only for "raw" mode, which shows what a reader got from an older schema version.
            if isinstance(value, datetime.datetime):
                return (value - EPOCH) // datetime.timedelta(microseconds=1)
            if isinstance(value, uuid.UUID):
                return str(value)
            return value

        data = open(path, "rb").read()
        out, pos = [], 0
        while pos < len(data):
            (length,) = struct.unpack(">I", data[pos:pos + 4])
            pos += 4
            message = data[pos:pos + length]
            pos += length
            schema_id, record = unpack(message)
            types = {key: type(value).__name__ for key, value in record.items()}
            if mode == "model":
                event = Event(**record)  # raises ValidationError for a datetime or a UUID
                record = event.model_dump() if hasattr(event, "model_dump") else event.dict()
            else:
                record = {key: plain(value) for key, value in record.items()}
            out.append({"schema_id": schema_id, "types": types, "event": record})
        print(json.dumps(out))
        """

    /// Decodes each framed message with `reader`.
    /// - Parameters:
    ///   - values: Kafka message values, Confluent-framed.
    ///   - registryURL: where the writer schemas are looked up by id.
    ///   - reader: the Python Avro library.
    ///   - model: validate each record with the original app's pydantic model (true), or
    ///     return the decoded values with `datetime`/`UUID` turned into µs/text (false).
    /// - Throws: when Python can't be started or prints something that is not the JSON list.
    public static func read(
        _ values: [[UInt8]],
        registryURL: String,
        reader: Reader,
        model: Bool = true
    ) throws -> Outcome {
        let result = try PythonMessages.run(script, name: "original_consumer.py", values: values) {
            [reader.rawValue, model ? "model" : "raw", registryURL, $0]
        }
        guard result.status == 0 else { return Outcome(status: result.status, records: [], errors: result.errors) }
        guard let records = try JSONSerialization.jsonObject(with: result.outputData) as? [[String: Any]] else {
            throw StackEnvError(message: "the original consumer printed no JSON list: \(result.output)")
        }
        return Outcome(status: 0, records: records, errors: result.errors)
    }
}
