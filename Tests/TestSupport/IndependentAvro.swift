import Foundation

/// Decodes Confluent-framed Avro messages with Debian's python3-avro, which shares no
/// code with our encoder: it fetches the writer schema from the registry by the id in
/// each message, as any Kafka consumer would.
public enum IndependentAvro {
    static let script = """
        import datetime, io, json, struct, sys, urllib.request, uuid
        import avro.io, avro.schema
        EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        def plain(value):
            # Logical types come back as Python objects; turn them into what is on the wire,
            # exactly: timestamp-micros as whole microseconds since the epoch.
            if isinstance(value, datetime.datetime):
                return (value - EPOCH) // datetime.timedelta(microseconds=1)
            if isinstance(value, uuid.UUID):
                return str(value)
            return value
        registry = sys.argv[1]
        data = open(sys.argv[2], "rb").read()
        # An old reader: the schema it was built with, resolved against each writer's.
        reader_schema = avro.schema.parse(sys.argv[3]) if len(sys.argv) > 3 else None
        out, pos, schemas = [], 0, {}
        while pos < len(data):
            (length,) = struct.unpack(">I", data[pos:pos + 4]); pos += 4
            message = data[pos:pos + length]; pos += length
            magic, schema_id = struct.unpack(">bI", message[:5])
            assert magic == 0, "bad magic byte"
            if schema_id not in schemas:
                with urllib.request.urlopen(f"{registry}/schemas/ids/{schema_id}") as answer:
                    schemas[schema_id] = avro.schema.parse(json.load(answer)["schema"])
            reader = avro.io.DatumReader(schemas[schema_id], reader_schema)
            record = reader.read(avro.io.BinaryDecoder(io.BytesIO(message[5:])))
            record = {key: plain(value) for key, value in record.items()}
            record["_schema_id"] = schema_id
            out.append(record)
        print(json.dumps(out, default=str))
        """

    /// Decodes each framed message; returns one JSON object (field → value) per message.
    /// - Parameter readerSchema: read as a consumer built with this schema would (Avro
    ///   schema resolution against each message's writer schema); nil reads with the writer's.
    /// - Throws: when Python fails, with its error output.
    public static func decode(
        _ values: [[UInt8]],
        registryURL: String,
        readerSchema: String? = nil
    ) throws -> [[String: Any]] {
        let result = try PythonMessages.run(script, name: "decode.py", values: values) {
            [registryURL, $0] + (readerSchema.map { [$0] } ?? [])
        }
        guard result.status == 0,
            let records = try JSONSerialization.jsonObject(with: result.outputData) as? [[String: Any]]
        else {
            throw StackEnvError(message: "python3-avro could not decode: \(result.errors)")
        }
        return records
    }
}
