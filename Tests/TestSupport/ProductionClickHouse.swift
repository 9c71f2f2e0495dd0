public import Foundation

/// Runs the production ClickHouse DDL (`deploy/clickhouse/`) in a current ClickHouse engine,
/// PyPI's `chdb-core` (ClickHouse 26.x in-process, installed for Debian's python3 by
/// `scripts/install-deps --test`), and feeds it real messages the way its Kafka table would.
///
/// The in-process engine cannot run a Kafka consumer (creating a Kafka table succeeds, then its
/// start-up fails with "Shutdown was called"), so the script executes every rendered file as it
/// is, and when a statement has created the Kafka table, replaces that table by a Null-engine
/// table with the same columns plus the Kafka engine's virtual columns (the engine's own list,
/// read with `DESCRIBE … describe_include_virtual_columns`) as ordinary ones. The views created
/// afterwards then resolve exactly as on a server, and an INSERT into the replacement runs them
/// like a consumed block. Each message is decoded with `file(…, 'AvroConfluent', …)` and the
/// registry's URL, with its topic, partition and offset as the virtual columns; one that does
/// not decode is inserted as the engine's `stream` error mode hands it on: the reason in
/// `_error`, the bytes in `_raw_message`.
public enum ProductionClickHouse {
    /// One message to feed, with where it was read.
    public struct Message: Sendable {
        public let topic: String
        public let partition: Int32
        public let offset: Int64
        public let value: [UInt8]

        /// - Parameters:
        ///   - topic: the topic it was read from.
        ///   - partition: its partition.
        ///   - offset: its offset.
        ///   - value: the value as stored (Confluent-framed Avro, or anything for the error path).
        public init(topic: String, partition: Int32, offset: Int64, value: [UInt8]) {
            self.topic = topic
            self.partition = partition
            self.offset = offset
            self.value = value
        }
    }

    /// The DDL folder of the package.
    public static var ddlDirectory: URL { StackEnv.packageRoot.appendingPathComponent("deploy/clickhouse") }

    static let script = #"""
        import json, os, sys
        from chdb import session

        ddl_dir, registry, manifest_path, work = sys.argv[1:5]
        manifest = json.load(open(manifest_path))
        db = session.Session(os.path.join(work, "chdb"))


        def literal(text):
            return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


        def rows(sql):
            result = db.query(sql, "JSONEachRow")
            text = result.bytes().decode() if hasattr(result, "bytes") else str(result)
            return [json.loads(line) for line in text.splitlines() if line.strip()]


        def kafka_tables():
            return rows("SELECT name, engine_full FROM system.tables WHERE database = currentDatabase() AND engine = 'Kafka'")


        out = {"statements": []}
        kafka = None
        for name in sorted(os.listdir(ddl_dir)):
            if not name.endswith(".sql"):
                continue
            sql = open(os.path.join(ddl_dir, name)).read()
            outcome = "ok"
            try:
                db.query(sql)
            except Exception as error:  # chdb raises a plain Exception with ClickHouse's message
                # The in-process engine cannot start a Kafka consumer: the table is created and
                # registered, then its start-up fails with this error. Anything else is a real failure.
                if "Shutdown was called" not in str(error) or not kafka_tables():
                    sys.exit(f"{name}: {error}")
                outcome = "kafka-created-not-started"
            found = kafka_tables()
            if found and kafka is None:
                # Swap the Kafka engine for Null: same columns, and the Kafka engine's virtual
                # columns (ClickHouse's own list and types) as ordinary ones, so the views created
                # next resolve _topic, _partition, _offset, _error… exactly as on a server, and an
                # INSERT into this table runs them the way a consumed block would.
                table = found[0]["name"]
                columns = rows(f"DESCRIBE TABLE {table} SETTINGS describe_include_virtual_columns = 1")
                kafka = {
                    "file": name,
                    "name": table,
                    "engine_full": found[0]["engine_full"],
                    "columns": [[c["name"], c["type"]] for c in columns if not int(c["is_virtual"])],
                    "virtual": [[c["name"], c["type"]] for c in columns if int(c["is_virtual"])],
                }
                db.query(f"DROP TABLE {table} SYNC")
                definition = ", ".join(f"`{n}` {t}" for n, t in kafka["columns"] + kafka["virtual"])
                db.query(f"CREATE TABLE {table} ({definition}) ENGINE = Null")
                outcome += ", swapped for Null"
            out["statements"].append({"file": name, "outcome": outcome})

        if kafka is None:
            sys.exit("no statement created a Kafka table")
        out["kafka_table"] = kafka
        queue = kafka["name"]
        columns = [n for n, _ in kafka["columns"]]
        structure = ", ".join(f"{n} {t}" for n, t in kafka["columns"])
        avro = f"SETTINGS format_avro_schema_registry_url = {literal(registry)}"


        def consume(message):
            # One message as the Kafka engine in 'stream' error mode hands it to the views: decoded,
            # with its position; or, when it does not parse, an empty row with the reason and bytes.
            position = f"{literal(message['topic'])}, {message['partition']}, {message['offset']}"
            targets = ", ".join(columns + ["_topic", "_partition", "_offset"])
            source = f"file({literal(message['file'])}, 'AvroConfluent', {literal(structure)})"
            try:
                rows(f"SELECT count() FROM {source} {avro}")
            except Exception as error:
                reason = str(error).strip()
                db.query(
                    f"INSERT INTO {queue} (_topic, _partition, _offset, _error, _raw_message) "
                    f"SELECT {position}, {literal(reason)}, content FROM file({literal(message['file'])}, 'RawBLOB', 'content String')"
                )
                return reason
            db.query(f"INSERT INTO {queue} ({targets}) SELECT {', '.join(columns)}, {position} FROM {source} {avro}")
            return None


        out["consume_errors"] = [consume(m) for m in manifest["messages"]]
        select = (
            "toString(session_id) AS session_id, toUnixTimestamp64Micro(timestamp) AS micros, toString(timestamp) AS text, "
            "action, country_name, country_code, subdivision_name, subdivision_code, city_name, cohort, "
            "source_topic, source_partition, source_offset"
        )
        order = "ORDER BY source_topic, source_partition, source_offset"
        out["first_pass"] = rows(f"SELECT {select} FROM button_presses FINAL {order}")
        # The same messages again: a consumer that restarted before committing its offsets. Merges
        # are held back so the duplicates are seen stored, then collapsed by FINAL and by a merge.
        db.query("SYSTEM STOP MERGES button_presses")
        out["consume_errors_again"] = [consume(m) for m in manifest["messages"]]
        out["count_before_merge"] = rows("SELECT count() AS n FROM button_presses")[0]["n"]
        out["final"] = rows(f"SELECT {select} FROM button_presses FINAL {order}")
        db.query("SYSTEM START MERGES button_presses")
        db.query("OPTIMIZE TABLE button_presses FINAL")
        out["count_after_merge"] = rows("SELECT count() AS n FROM button_presses")[0]["n"]
        out["errors"] = rows(
            "SELECT source_topic, source_partition, source_offset, error, hex(raw_message) AS raw FROM button_presses_errors FINAL "
            "ORDER BY source_topic, source_partition, source_offset"
        )
        out["errors_count_before_merge"] = rows("SELECT count() AS n FROM button_presses_errors")[0]["n"]
        out["target"] = rows(
            "SELECT engine, sorting_key, partition_key FROM system.tables WHERE database = currentDatabase() AND name = 'button_presses'"
        )[0]
        out["target"]["columns"] = {c["name"]: c["type"] for c in rows("DESCRIBE TABLE button_presses")}
        # Framing: the values of several messages concatenated in one file decode as one row each.
        concatenated = f"file({literal(manifest['concatenated'])}, 'AvroConfluent', {literal(structure)})"
        out["concatenated"] = rows(
            f"SELECT toString(session_id) AS session_id, toUnixTimestamp64Micro(timestamp) AS micros, action, cohort FROM {concatenated} {avro}"
        )
        out["version"] = rows("SELECT version() AS v")[0]["v"]
        print(json.dumps(out))
        """#

    /// Renders the shipped DDL with `deploy/clickhouse/render`, runs it in chdb, feeds
    /// `messages` twice (a consumer re-reading uncommitted messages), and returns what the
    /// script printed as JSON (see the script for the keys).
    /// - Parameters:
    ///   - messages: the messages, fed in this order.
    ///   - concatenated: values written into one file, to decode in one `file()` call.
    ///   - registryURL: the schema registry's base URL.
    ///   - brokers: the value of `KAFKA_BROKERS` for the rendering.
    ///   - group: the value of `KAFKA_GROUP` for the rendering.
    /// - Throws: when rendering or Python fails, with their output.
    public static func run(
        messages: [Message],
        concatenated: [[UInt8]],
        registryURL: String,
        brokers: String,
        group: String
    ) throws -> [String: Any] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chdb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let rendered = directory.appendingPathComponent("ddl")
        let render = try Command.run(
            "/bin/bash",
            [ddlDirectory.appendingPathComponent("render").path, rendered.path],
            environment: ["KAFKA_BROKERS": brokers, "SCHEMA_REGISTRY_URL": registryURL, "KAFKA_GROUP": group]
        )
        guard render.status == 0 else { throw StackEnvError(message: "render failed: \(render.errors)") }

        var entries: [[String: Any]] = []
        for (index, message) in messages.enumerated() {
            let file = directory.appendingPathComponent("message-\(index).bin")
            try Data(message.value).write(to: file)
            entries.append([
                "topic": message.topic, "partition": message.partition, "offset": message.offset, "file": file.path,
            ])
        }
        let joined = directory.appendingPathComponent("concatenated.bin")
        try Data(concatenated.joined()).write(to: joined)
        let manifest = directory.appendingPathComponent("manifest.json")
        try JSONSerialization.data(withJSONObject: ["messages": entries, "concatenated": joined.path])
            .write(to: manifest)
        let scriptFile = directory.appendingPathComponent("production_ddl.py")
        try script.write(to: scriptFile, atomically: true, encoding: .utf8)

        // Debian's interpreter: install-deps installs chdb-core for it, not for other Pythons.
        let result = try Command.run(
            "/usr/bin/python3",
            [scriptFile.path, rendered.path, registryURL, manifest.path, directory.path]
        )
        guard result.status == 0,
            let output = try JSONSerialization.jsonObject(with: result.outputData) as? [String: Any]
        else {
            throw StackEnvError(message: "the chdb script failed (\(result.status)): \(result.errors)")
        }
        return output
    }
}
