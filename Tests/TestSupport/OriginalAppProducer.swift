import Foundation

/// Produces button events the way the original workshop app's producer did, independently
/// of our encoder and our Kafka module: Debian's python3-avro encodes each event under the
/// original app's own schema text, which is registered in the registry first, the body is
/// framed the Confluent way (a zero byte, the 4-byte big-endian schema id, the Avro body),
/// and kcat sends each message WITHOUT a key, as the original app did.
///
/// The subject follows Confluent's topic-name strategy, `<topic>-value`, so producing to a
/// test topic never adds a version to `button_presses-value`. Producing to `button_presses`
/// itself registers the original schema there; its `timestamp-millis` attribute makes it a
/// version of its own (our registry keeps custom attributes in a schema's identity).
public enum OriginalAppProducer {
    /// One event as the original app's pydantic `Event` model held it: plain values.
    public struct Event: Sendable, Equatable, Encodable {
        /// The session's UUID as text, lower case in the original app.
        public var sessionID: String
        /// Microseconds since the epoch, UTC.
        public var timestamp: Int64
        /// `EnterPage` or `PressButton`.
        public var action: String
        public var countryName: String
        public var countryCode: String
        public var subdivisionName: String
        public var subdivisionCode: String
        public var cityName: String
        /// The visitor's cohort; nil for the original app's fake data.
        public var cohort: Int?

        enum CodingKeys: String, CodingKey {
            case sessionID = "session_id"
            case timestamp, action, cohort
            case countryName = "country_name"
            case countryCode = "country_code"
            case subdivisionName = "subdivision_name"
            case subdivisionCode = "subdivision_code"
            case cityName = "city_name"
        }

        /// Creates an event.
        /// - Parameters:
        ///   - sessionID: the session's UUID as text.
        ///   - timestamp: microseconds since the epoch, UTC.
        ///   - action: `EnterPage` or `PressButton`.
        ///   - countryName: the country's name.
        ///   - countryCode: the ISO 3166-1 alpha-2 code.
        ///   - subdivisionName: may be empty.
        ///   - subdivisionCode: may be empty.
        ///   - cityName: may be empty.
        ///   - cohort: nil for fake data.
        public init(
            sessionID: String,
            timestamp: Int64,
            action: String,
            countryName: String,
            countryCode: String,
            subdivisionName: String = "",
            subdivisionCode: String = "",
            cityName: String = "",
            cohort: Int?
        ) {
            self.sessionID = sessionID
            self.timestamp = timestamp
            self.action = action
            self.countryName = countryName
            self.countryCode = countryCode
            self.subdivisionName = subdivisionName
            self.subdivisionCode = subdivisionCode
            self.cityName = cityName
            self.cohort = cohort
        }

        // Written by hand so a nil cohort is sent as JSON null (Python None), which is what
        // the union's "null" branch needs; the synthesized encoder would leave the key out.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(sessionID, forKey: .sessionID)
            try container.encode(timestamp, forKey: .timestamp)
            try container.encode(action, forKey: .action)
            try container.encode(countryName, forKey: .countryName)
            try container.encode(countryCode, forKey: .countryCode)
            try container.encode(subdivisionName, forKey: .subdivisionName)
            try container.encode(subdivisionCode, forKey: .subdivisionCode)
            try container.encode(cityName, forKey: .cityName)
            try container.encode(cohort, forKey: .cohort)
        }
    }

    /// What was produced.
    public struct Produced: Sendable, Equatable {
        /// The id the registry gave the original app's schema; every message carries it.
        public let schemaID: Int
        /// How many messages kcat delivered (kcat exits non-zero when one fails).
        public let count: Int
    }

    /// Messages per kcat run: each message is a file argument, and argument lists have a limit.
    static let filesPerRun = 2_000

    /// The schema text, built as the original producer built it: `json.dumps` of a dict with
    /// field-level `logicalType` attributes (which Avro ignores there: plain string and long).
    static let script = """
        import io, json, struct, sys, urllib.error, urllib.request
        import avro.io, avro.schema

        registry, subject, events_path, out_dir = sys.argv[1:5]
        SCHEMA = json.dumps({
            "doc": "Web app interactions",
            "name": "button_presses",
            "type": "record",
            "fields": [
                {"name": "session_id", "type": "string", "logicalType": "uuid"},
                {"name": "timestamp", "type": "long", "logicalType": "timestamp-millis"},
                {"name": "action", "type": "string"},
                {"name": "country_name", "type": "string"},
                {"name": "country_code", "type": "string"},
                {"name": "subdivision_name", "type": "string"},
                {"name": "subdivision_code", "type": "string"},
                {"name": "city_name", "type": "string"},
                {"name": "cohort", "type": ["null", "int"], "default": None},
            ],
        })

        def post(path, body):
            request = urllib.request.Request(
                registry + path,
                data=json.dumps(body).encode(),
                headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request) as answer:
                    return answer.status, json.load(answer)
            except urllib.error.HTTPError as error:
                text = error.read()
                try:
                    return error.code, json.loads(text)
                except ValueError:
                    return error.code, {"message": text.decode(errors="replace")}

        # Ask first, so a refusal names the reason instead of a bare 409 from the registration.
        status, answer = post(f"/compatibility/subjects/{subject}/versions?verbose=true", {"schema": SCHEMA})
        if status == 200 and answer.get("is_compatible") is not True:
            sys.exit(f"the original schema is not compatible with {subject}: {json.dumps(answer)}")
        if status not in (200, 404):  # 404: a subject without versions accepts anything
            sys.exit(f"compatibility check of {subject} failed ({status}): {json.dumps(answer)}")
        status, answer = post(f"/subjects/{subject}/versions", {"schema": SCHEMA})
        if status != 200 or "id" not in answer:
            sys.exit(f"registering the original schema under {subject} failed ({status}): {json.dumps(answer)}")
        schema_id = answer["id"]

        writer = avro.io.DatumWriter(avro.schema.parse(SCHEMA))
        files = []
        with open(events_path) as source:
            events = json.load(source)
        for index, event in enumerate(events):
            message = io.BytesIO()
            message.write(struct.pack(">bI", 0, schema_id))
            writer.write(event, avro.io.BinaryEncoder(message))  # validates against the schema
            path = f"{out_dir}/message-{index:08d}.bin"
            with open(path, "wb") as target:
                target.write(message.getvalue())
            files.append(path)
        print(json.dumps({"schema_id": schema_id, "files": files}))
        """

    /// Registers the original app's schema under `<topic>-value` (after checking that the
    /// subject accepts it), encodes `events` with python3-avro, frames them and produces
    /// them in order, without a key, with kcat.
    /// - Parameters:
    ///   - events: the events, produced in this order.
    ///   - bootstrap: the brokers, `host:port[,…]`.
    ///   - registryURL: the schema registry's base URL.
    ///   - topic: the topic; `button_presses` by default, as the original app.
    /// - Returns: the schema id and how many messages were delivered.
    /// - Throws: when the subject refuses the schema (incompatible), Python can't encode an
    ///   event, or kcat fails to deliver; the error carries their output.
    @discardableResult
    public static func produce(
        events: [Event],
        bootstrap: String,
        registryURL: String,
        topic: String = "button_presses"
    ) throws -> Produced {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "original-producer-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let eventsFile = directory.appendingPathComponent("events.json")
        try JSONEncoder().encode(events).write(to: eventsFile)
        let scriptFile = directory.appendingPathComponent("original_producer.py")
        try script.write(to: scriptFile, atomically: true, encoding: .utf8)

        // Debian's interpreter: python3-avro is installed for it, not for other Pythons.
        let encoded = try Command.run(
            "/usr/bin/python3",
            [scriptFile.path, registryURL, "\(topic)-value", eventsFile.path, directory.path]
        )
        guard encoded.status == 0 else {
            throw StackEnvError(message: "the original producer failed: \(encoded.errors)")
        }
        struct Encoded: Decodable {
            let schema_id: Int
            let files: [String]
        }
        let output = try JSONDecoder().decode(Encoded.self, from: encoded.outputData)

        var start = 0
        while start < output.files.count {
            let files = output.files[start..<min(start + filesPerRun, output.files.count)]
            // No -k/-K: a null key. Each file is one message, so binary bodies need no delimiter.
            let sent = try Command.run(
                "/usr/bin/kcat",
                ["-P", "-b", bootstrap, "-t", topic, "-X", "enable.idempotence=true"] + files
            )
            guard sent.status == 0 else {
                throw StackEnvError(message: "kcat could not produce to \(topic): \(sent.errors)")
            }
            start += files.count
        }
        return Produced(schemaID: output.schema_id, count: output.files.count)
    }
}
