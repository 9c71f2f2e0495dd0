import Foundation
import Logging
import Postgres
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Integration tests for the libpq wrapper, against the stack's PostgreSQL (`PG_DSN`).
///
/// In DisruptiveTests (run alone, after the others) because one test restarts the shared
/// server; every test uses its own table names, so runs can repeat.
@Suite(.serialized)
struct PostgresConnectionTests {
    // MARK: - Parameters

    @Test func hostileStringsRoundTripAsParametersAndDoNothingElse() throws {
        let connection = try Self.connect()
        let table = Self.uniqueName("pg_hostile")
        try connection.execute("CREATE TABLE \(table) (id serial PRIMARY KEY, v text)")
        defer { Self.drop(table, on: connection) }

        let hostile: [String] = [
            "'; DROP TABLE \(table); --",
            "Robert'); DROP TABLE students;--",
            "it's \"double\" and 'single' and `back`",
            "back\\slash \\\\ \\N \\x41 \\0",
            "$1 $2 ? :name %s %%",
            "tab\tnewline\ncr\rend",
            "emoji 😀👍🏽👩‍👩‍👧 flags 🇨🇭 RTL שלום עליכם مرحبا \u{202E}reversed",
            "",
            " ",
            String(repeating: "0123456789abcdef", count: 65_536),  // 1 MiB
        ]
        for value in hostile {
            let echoed = try connection.query("SELECT $1::text AS v, octet_length($1::text) AS n", [.text(value)])
            #expect(echoed.count == 1)
            #expect(echoed[0]["v"] == value)
            #expect(try echoed[0].int("n") == value.utf8.count)
            try connection.execute("INSERT INTO \(table) (v) VALUES ($1)", [.text(value)])
        }
        try connection.execute("INSERT INTO \(table) (v) VALUES ($1)", [nil])

        let stored = try connection.query("SELECT v FROM \(table) ORDER BY id")
        #expect(stored.count == hostile.count + 1)
        for (index, value) in hostile.enumerated() {
            #expect(stored[index]["v"] == value, "value \(index) changed")
        }
        #expect(try stored[hostile.count].isNull("v"))
        // Empty string and NULL stay distinct.
        #expect(try connection.query("SELECT id FROM \(table) WHERE v = ''").count == 1)
        #expect(try connection.query("SELECT id FROM \(table) WHERE v IS NULL").count == 1)
        // The table survived and nothing else ran.
        let exists = try connection.query("SELECT to_regclass($1) IS NOT NULL AS e", [.text(table)])
        #expect(try exists[0].bool("e"))
    }

    @Test func parametersCannotSmuggleASecondStatement() throws {
        let connection = try Self.connect()
        let error = #expect(throws: PostgresError.self) {
            try connection.query("SELECT 1; SELECT 2")
        }
        #expect(error?.code == .queryFailed)
        let nul = #expect(throws: PostgresError.self) {
            try connection.query("SELECT $1::text", [.text("a\u{0}b")])
        }
        #expect(nul?.code == .invalidArgument)
        #expect(try connection.query("SELECT 1 AS one")[0].int("one") == 1)
    }

    @Test func typedParametersRoundTrip() throws {
        let connection = try Self.connect()
        let date = Date(timeIntervalSince1970: 1_700_000_000.123_456)
        let rows = try connection.query(
            "SELECT $1 AS i, $2 AS d, $3 AS b, $4 AS bytes, $5 AS ts, $6::text AS s, $7::int AS n, $8 AS nan",
            [42, 1.5, true, .bytea([0, 1, 0xFE, 0xFF]), .timestamp(date), "text", nil, .double(.nan)]
        )
        let row = rows[0]
        #expect(rows.columns == ["i", "d", "b", "bytes", "ts", "s", "n", "nan"])
        #expect(try row.int("i") == 42)
        #expect(try row.double("d") == 1.5)
        #expect(try row.bool("b"))
        #expect(try row.bytes("bytes") == [0, 1, 0xFE, 0xFF])
        #expect(try row.date("ts") == date)
        #expect(try row.string("s") == "text")
        #expect(try row.optionalInt("n") == nil)
        #expect(try row.double("nan").isNaN)

        let big = try connection.query("SELECT $1::int8 + 1 AS v", [.int(Int.max - 1)])
        #expect(try big[0].int("v") == Int.max)
        let typed = try connection.query(
            "SELECT $1::int AS a, $2::float8 AS b",
            [PostgresValue(Int32(7)), PostgresValue(Double?.none)]
        )
        #expect(try typed[0].int("a") == 7)
        #expect(try typed[0].isNull("b"))
    }

    // MARK: - Typed getters

    @Test func typedGettersHandleNullAndMismatches() throws {
        let connection = try Self.connect()
        let rows = try connection.query(
            """
            SELECT 42::int4 AS i, 9007199254740993::int8 AS big, 2.25::float8 AS d, 'Infinity'::float8 AS inf,
                   12.5::numeric AS num, true AS t, false AS f, 'hello'::text AS s, NULL::int AS n,
                   '\\x00ff10'::bytea AS bytes, timestamptz '2024-02-29 23:59:59.123456+00' AS ts,
                   timestamptz '0044-03-15 12:00:00+00 BC' AS bc, timestamp '1969-12-31 23:59:59.5' AS local
            """
        )
        let row = rows[0]
        #expect(try row.int("i") == 42)
        #expect(try row.int("big") == 9_007_199_254_740_993)
        #expect(try row.double("d") == 2.25)
        #expect(try row.double("inf") == .infinity)
        #expect(try row.double("num") == 12.5)
        #expect(try row.bool("t") == true)
        #expect(try row.bool("f") == false)
        #expect(try row.string("s") == "hello")
        #expect(row["s"] == "hello")
        #expect(row["n"] == nil)
        #expect(row["no_such_column"] == nil)
        #expect(try row.bytes("bytes") == [0x00, 0xFF, 0x10])
        let expected = Date(timeIntervalSince1970: 1_709_251_199.123_456)
        #expect(try row.date("ts") == expected)
        #expect(try row.date("local") == Date(timeIntervalSince1970: -0.5))
        #expect(try row.optionalInt("n") == nil)
        #expect(try row.optionalString("n") == nil)
        #expect(try row.optionalDate("ts") == expected)

        // A BC timestamp survives a round trip through a parameter.
        let bc = try row.date("bc")
        let echoed = try connection.query(
            "SELECT $1 = timestamptz '0044-03-15 12:00:00+00 BC' AS same",
            [.timestamp(bc)]
        )
        #expect(try echoed[0].bool("same"))

        let cases: [(String, (PostgresRow) throws -> Any)] = [
            ("NULL as Int", { try $0.int("n") }),
            ("NULL as String", { try $0.string("n") }),
            ("text as Int", { try $0.int("s") }),
            ("numeric as Int", { try $0.int("num") }),
            ("text as Bool", { try $0.bool("s") }),
            ("text as Double", { try $0.double("s") }),
            ("text as Date", { try $0.date("s") }),
            ("text as bytes", { try $0.bytes("s") }),
            ("missing column", { try $0.int("nope") }),
        ]
        for (name, get) in cases {
            let error = #expect(throws: PostgresError.self, "\(name)") { _ = try get(row) }
            #expect(error?.code == .decoding, "\(name)")
            #expect(error?.description.contains("hello") == false, "\(name) leaks the value")
        }
    }

    @Test func timestampsWithOffsetsParse() throws {
        let connection = try Self.connect()
        try connection.transaction { connection in
            try connection.execute("SET LOCAL TimeZone = 'Asia/Kolkata'")
            let rows = try connection.query("SELECT timestamptz '2024-01-01 00:00:00.000001+00' AS t, now()::text AS x")
            #expect(rows[0]["t"]?.hasSuffix("+05:30") == true)
            #expect(try rows[0].date("t") == Date(timeIntervalSince1970: 1_704_067_200.000_001))
        }
    }

    // MARK: - Transactions

    @Test func transactionCommits() throws {
        let connection = try Self.connect()
        let table = Self.uniqueName("pg_tx_commit")
        try connection.execute("CREATE TABLE \(table) (v int)")
        defer { Self.drop(table, on: connection) }
        let result = try connection.transaction { connection in
            try connection.execute("INSERT INTO \(table) VALUES ($1), ($2)", [1, 2])
        }
        #expect(result == 2)
        let other = try Self.connect()
        #expect(try other.query("SELECT v FROM \(table)").count == 2)
    }

    @Test func transactionRollsBackWhenBodyThrows() throws {
        struct Boom: Error {}
        let connection = try Self.connect()
        let table = Self.uniqueName("pg_tx_throw")
        try connection.execute("CREATE TABLE \(table) (v int)")
        defer { Self.drop(table, on: connection) }
        #expect(throws: Boom.self) {
            try connection.transaction { connection in
                try connection.execute("INSERT INTO \(table) VALUES (1)")
                throw Boom()
            }
        }
        #expect(try connection.query("SELECT v FROM \(table)").isEmpty)
        // The connection is back to autocommit.
        try connection.execute("INSERT INTO \(table) VALUES (2)")
        #expect(try Self.connect().query("SELECT v FROM \(table)").count == 1)
    }

    @Test func transactionRollsBackOnSQLError() throws {
        let connection = try Self.connect()
        let table = Self.uniqueName("pg_tx_sql")
        try connection.execute("CREATE TABLE \(table) (v int)")
        defer { Self.drop(table, on: connection) }
        let error = #expect(throws: PostgresError.self) {
            try connection.transaction { connection in
                try connection.execute("INSERT INTO \(table) VALUES (1)")
                try connection.execute("INSERT INTO \(table) VALUES ('not a number')")
            }
        }
        #expect(error?.code == .queryFailed)
        #expect(error?.sqlState == "22P02")
        // The server quotes the rejected input; the description must not.
        #expect(error?.description.contains("not a number") == false, "\(error?.description ?? "")")
        #expect(error?.serverMessage?.contains("not a number") == true)
        #expect(try connection.query("SELECT v FROM \(table)").isEmpty)

        // A failed statement whose error the body swallowed must not be "committed".
        let swallowed = #expect(throws: PostgresError.self) {
            try connection.transaction { connection in
                try connection.execute("INSERT INTO \(table) VALUES (1)")
                _ = try? connection.execute("SELECT * FROM no_such_table_\(table)")
            }
        }
        #expect(swallowed?.code == .transactionAborted)
        #expect(try connection.query("SELECT v FROM \(table)").isEmpty)
    }

    @Test func nestedTransactionsUseSavepoints() throws {
        struct Inner: Error {}
        let connection = try Self.connect()
        let table = Self.uniqueName("pg_tx_nested")
        try connection.execute("CREATE TABLE \(table) (v int)")
        defer { Self.drop(table, on: connection) }
        try connection.transaction { connection in
            try connection.execute("INSERT INTO \(table) VALUES (1)")
            _ = try? connection.transaction { connection in
                try connection.execute("INSERT INTO \(table) VALUES (2)")
                throw Inner()
            }
            _ = try connection.transaction { connection in
                try connection.execute("INSERT INTO \(table) VALUES (3)")
            }
        }
        let values = try connection.query("SELECT v FROM \(table) ORDER BY v").map { try $0.int("v") }
        #expect(values == [1, 3])
    }

    // MARK: - COPY

    @Test func copyEscapesSpecialCharactersAndNulls() throws {
        let connection = try Self.connect()
        let table = Self.uniqueName("pg_copy_Escapes")
        let quotedTable = "\"\(table)\""
        try connection.execute(
            "CREATE TABLE \(quotedTable) (id int PRIMARY KEY, \"we\"\"ird col\" text, n int, b bytea, f bool)"
        )
        defer { Self.drop(quotedTable, on: connection) }
        let texts: [String?] = [
            "tab\there", "new\nline", "cr\rlf\r\n", "back\\slash", "\\N", "\\\\N", nil, "", "\\.", "end\\",
            "😀 שלום", "'; DROP TABLE \(table); --", "\"quoted\"",
        ]
        let rows: [[PostgresValue]] = texts.enumerated().map { index, text in
            [
                .int(index), PostgresValue(text), index % 2 == 0 ? nil : .int(-index),
                .bytea([0x5C, 0x09, UInt8(index)]), .bool(index % 3 == 0),
            ]
        }
        let copied = try connection.copy(into: table, columns: ["id", "we\"ird col", "n", "b", "f"], rows: rows)
        #expect(copied == texts.count)

        let stored = try connection.query("SELECT * FROM \(quotedTable) ORDER BY id")
        #expect(stored.count == texts.count)
        for (index, text) in texts.enumerated() {
            let row = stored[index]
            #expect(row["we\"ird col"] == text, "row \(index)")
            #expect(try row.optionalInt("n") == (index % 2 == 0 ? nil : -index))
            #expect(try row.bytes("b") == [0x5C, 0x09, UInt8(index)])
            #expect(try row.bool("f") == (index % 3 == 0))
        }
        // The literal text \N is not NULL; only the real NULL is.
        #expect(try connection.query("SELECT id FROM \(quotedTable) WHERE \"we\"\"ird col\" IS NULL").count == 1)
        #expect(try connection.query("SELECT id FROM \(quotedTable) WHERE \"we\"\"ird col\" = '\\N'").count == 1)
    }

    @Test func copyTenThousandRows() throws {
        let connection = try Self.connect()
        let table = Self.uniqueName("pg_copy_bulk")
        try connection.execute("CREATE TABLE \(table) (id int PRIMARY KEY, payload text, at timestamptz)")
        defer { Self.drop(table, on: connection) }
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let rows: [[PostgresValue]] = (0..<10_000).map { index in
            [
                .int(index),
                .text("row \(index)\twith\ttabs\nand newline \\ \(String(repeating: "x", count: index % 50))"),
                .timestamp(start.addingTimeInterval(Double(index) / 1_000)),
            ]
        }
        #expect(try connection.copy(into: "public.\(table)", columns: ["id", "payload", "at"], rows: rows) == 10_000)
        let summary = try connection.query("SELECT count(*) AS c, sum(id) AS s, max(at) AS m FROM \(table)")[0]
        #expect(try summary.int("c") == 10_000)
        #expect(try summary.int("s") == 49_995_000)
        #expect(Self.micros(try summary.date("m")) == Self.micros(start) + 9_999_000)
        let sample = try connection.query("SELECT payload FROM \(table) WHERE id = $1", [4_321])
        #expect(
            sample[0]["payload"] == "row 4321\twith\ttabs\nand newline \\ \(String(repeating: "x", count: 4_321 % 50))"
        )
    }

    @Test func copyFailuresAreReportedAndLeaveTheConnectionUsable() throws {
        let connection = try Self.connect()
        let table = Self.uniqueName("pg_copy_fail")
        try connection.execute("CREATE TABLE \(table) (id int PRIMARY KEY, v text)")
        defer { Self.drop(table, on: connection) }
        try connection.copy(into: table, columns: ["id", "v"], rows: [[1, "a"]])

        let duplicate = #expect(throws: PostgresError.self) {
            try connection.copy(into: table, columns: ["id", "v"], rows: [[2, "b"], [1, "secret-value"]])
        }
        #expect(duplicate?.code == .copyFailed)
        #expect(duplicate?.sqlState == "23505")
        #expect(duplicate?.description.contains("secret-value") == false)

        let arity = #expect(throws: PostgresError.self) {
            try connection.copy(into: table, columns: ["id", "v"], rows: [[3]])
        }
        #expect(arity?.code == .invalidArgument)

        let nul = #expect(throws: PostgresError.self) {
            try connection.copy(into: table, columns: ["id", "v"], rows: [[4, "ok"], [5, "bad\u{0}"]])
        }
        #expect(nul?.code == .invalidArgument)

        let missing = #expect(throws: PostgresError.self) {
            try connection.copy(into: table + "_missing", columns: ["id"], rows: [[1]])
        }
        #expect(missing?.code == .copyFailed)
        #expect(missing?.sqlState == "42P01")

        let stdin = #expect(throws: PostgresError.self) {
            try connection.query("COPY \(table) FROM STDIN")
        }
        #expect(stdin?.code == .invalidArgument)

        #expect(try connection.query("SELECT id FROM \(table)").map { try $0.int("id") } == [1])
    }

    // MARK: - Errors

    @Test func uniqueViolationExposesSQLState() throws {
        let connection = try Self.connect()
        let table = Self.uniqueName("pg_unique")
        try connection.execute("CREATE TABLE \(table) (email text UNIQUE)")
        defer { Self.drop(table, on: connection) }
        try connection.execute("INSERT INTO \(table) VALUES ($1)", ["user-secret@example.com"])
        let error = #expect(throws: PostgresError.self) {
            try connection.execute("INSERT INTO \(table) VALUES ($1)", ["user-secret@example.com"])
        }
        #expect(error?.code == .queryFailed)
        #expect(error?.sqlState == "23505")
        #expect(error?.isUniqueViolation == true)
        #expect(error?.description.contains("23505") == true)
        #expect(error?.description.contains("user-secret") == false)
        #expect(error?.detail?.contains("already exists") == true)
    }

    @Test func badConnectionStringsFailQuicklyAndClearly() throws {
        let logger = Logger(label: "test")
        let started = ContinuousClock.now

        let refused = #expect(throws: PostgresError.self) {
            try PostgresConnection(
                dsn: "postgresql://button:hunter2-secret@127.0.0.1:1/nodb?connect_timeout=2",
                logger: logger
            )
        }
        #expect(refused?.code == .connectionFailed)
        let text = refused?.description ?? ""
        #expect(text.contains("127.0.0.1:1/nodb"), "\(text)")
        #expect(!text.contains("hunter2"), "\(text)")

        let malformed = #expect(throws: PostgresError.self) {
            try PostgresConnection(dsn: "host=127.0.0.1 password=hunter2-secret port", logger: logger)
        }
        #expect(malformed?.code == .connectionFailed)
        // Positive control: the check reads a real message, not an empty one.
        #expect(malformed.map { !$0.description.isEmpty } == true)
        #expect(malformed?.description.contains("hunter2") == false, "\(malformed?.description ?? "")")

        let badPort = #expect(throws: PostgresError.self) {
            try PostgresConnection(dsn: "postgresql://button:hunter2-secret@127.0.0.1:notaport/db", logger: logger)
        }
        #expect(badPort?.code == .connectionFailed)
        #expect(badPort.map { !$0.description.isEmpty } == true)
        #expect(badPort?.description.contains("hunter2") == false)

        // Unroutable address: connect_timeout bounds the wait.
        let unroutable = #expect(throws: PostgresError.self) {
            try PostgresConnection(dsn: "postgresql://button@10.255.255.1:5432/db?connect_timeout=2", logger: logger)
        }
        #expect(unroutable?.code == .connectionFailed)
        #expect(ContinuousClock.now - started < .seconds(10))

        let closed = try Self.connect()
        closed.close()
        let afterClose = #expect(throws: PostgresError.self) { try closed.query("SELECT 1") }
        #expect(afterClose?.code == .connectionClosed)
    }

    // MARK: - Reconnect

    @Test func reconnectsAfterServerRestart() throws {
        let recorder = LogRecorder()
        let connection = try Self.connect(logger: Logger(label: "pg") { _ in RecordingLogHandler(recorder: recorder) })
        let table = Self.uniqueName("pg_restart")
        try connection.execute("CREATE TABLE \(table) (v int)")
        defer { Self.drop(table, on: connection) }
        let startedBefore = try connection.query("SELECT pg_postmaster_start_time()::text AS t")[0].string("t")

        try Self.restartPostgres()

        // Same object, no explicit reconnect: the dead session is noticed before the statement is
        // sent, and the statement goes to a new one.
        try connection.execute("INSERT INTO \(table) VALUES ($1)", [7])
        #expect(try connection.query("SELECT v FROM \(table)").map { try $0.int("v") } == [7])
        let startedAfter = try connection.query("SELECT pg_postmaster_start_time()::text AS t")[0].string("t")
        #expect(startedAfter != startedBefore, "the server did not restart")

        let entries = recorder.entries
        let infos = entries.filter { $0.level == .info }.map(\.message)
        #expect(infos.contains { $0.contains("reconnecting") }, "\(infos)")
        #expect(infos.contains { $0.contains("reconnected") }, "\(infos)")
        if let password = URL(string: try StackEnv.load().require("PG_DSN"))?.password, !password.isEmpty {
            #expect(!entries.contains { $0.message.contains(password) || $0.metadata.contains(password) })
        }
    }

    @Test func lostConnectionInsideTransactionThrowsAndOutsideReconnectsBeforeSending() throws {
        let connection = try Self.connect()
        let killer = try Self.connect()
        let table = Self.uniqueName("pg_lost")
        try connection.execute("CREATE TABLE \(table) (v int)")
        defer { Self.drop(table, on: killer) }

        func killBackend() throws {
            let pid = try connection.query("SELECT pg_backend_pid() AS pid")[0].int("pid")
            try killer.execute("SELECT pg_terminate_backend($1::int)", [.int(pid)])
            // Give the backend a moment to exit.
            Thread.sleep(forTimeInterval: 0.2)
        }

        // Outside a transaction: the ended session is noticed before sending; the statement runs
        // once, on a new session.
        try killBackend()
        #expect(try connection.execute("INSERT INTO \(table) VALUES (1)") == 1)

        // Inside: connectionLost, nothing committed, and the next call reconnects.
        let error = #expect(throws: PostgresError.self) {
            try connection.transaction { connection in
                try connection.execute("INSERT INTO \(table) VALUES (2)")
                try killBackend()
                try connection.execute("INSERT INTO \(table) VALUES (3)")
            }
        }
        #expect(error?.code == .connectionLost)
        #expect(try connection.query("SELECT v FROM \(table) ORDER BY v").map { try $0.int("v") } == [1])
    }

    /// A statement whose connection dies after the server committed must not run again: the
    /// rows would be written twice. The block commits its insert and then its own backend is
    /// terminated, so the client sees the connection die with the work already done.
    @Test func aStatementWhoseConnectionDiedAfterItCommittedIsNotRunAgain() throws {
        let connection = try Self.connect()
        let observer = try Self.connect()
        let table = Self.uniqueName("pg_once")
        try observer.execute("CREATE TABLE \(table) (v int)")
        defer { Self.drop(table, on: observer) }

        let error = #expect(throws: PostgresError.self) {
            try connection.execute(
                """
                DO $$ BEGIN
                    INSERT INTO \(table) VALUES (1);
                    COMMIT;
                    PERFORM pg_terminate_backend(pg_backend_pid());
                    PERFORM pg_sleep(5);
                END $$
                """
            )
        }
        #expect(error?.code == .connectionLost)
        #expect(try observer.query("SELECT count(*) AS n FROM \(table)")[0].int("n") == 1, "written once")
        // The caller decides what to do; the connection itself is restored for the next call.
        #expect(try connection.query("SELECT count(*) AS n FROM \(table)")[0].int("n") == 1)
    }

    /// The same for COPY: a statement trigger counts attempts in a sequence (sequences ignore
    /// rollbacks), then terminates its backend before the COPY can commit.
    @Test func aCopyWhoseConnectionDiedIsNotRunAgain() throws {
        let connection = try Self.connect()
        let observer = try Self.connect()
        let table = Self.uniqueName("pg_copy_once")
        try observer.execute("CREATE TABLE \(table) (v int)")
        try observer.execute("CREATE SEQUENCE \(table)_attempts")
        try observer.execute(
            """
            CREATE FUNCTION \(table)_die() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
                PERFORM nextval('\(table)_attempts');
                PERFORM pg_terminate_backend(pg_backend_pid());
                PERFORM pg_sleep(5);
                RETURN NULL;
            END $$
            """
        )
        try observer.execute(
            "CREATE TRIGGER die AFTER INSERT ON \(table) FOR EACH STATEMENT EXECUTE FUNCTION \(table)_die()"
        )
        defer {
            Self.drop(table, on: observer)
            _ = try? observer.execute("DROP FUNCTION IF EXISTS \(table)_die()")
            _ = try? observer.execute("DROP SEQUENCE IF EXISTS \(table)_attempts")
        }

        let error = #expect(throws: PostgresError.self) {
            try connection.copy(into: table, columns: ["v"], rows: [[1], [2]])
        }
        #expect(error?.code == .connectionLost)
        let attempts = try observer.query("SELECT last_value, is_called FROM \(table)_attempts")[0]
        #expect(try attempts.bool("is_called"), "the trigger ran")
        #expect(try attempts.int("last_value") == 1, "the COPY was sent once")
        #expect(try observer.query("SELECT count(*) AS n FROM \(table)")[0].int("n") == 0)
    }

    @Test func noticesGoToTheLoggerNotStderr() throws {
        let recorder = LogRecorder()
        let connection = try Self.connect(logger: Logger(label: "pg") { _ in RecordingLogHandler(recorder: recorder) })
        try connection.execute("DO $$ BEGIN RAISE NOTICE 'hello from plpgsql'; END $$")
        let debug = recorder.entries.filter { $0.level == .debug }.map(\.message)
        #expect(debug.contains { $0.contains("hello from plpgsql") }, "\(debug)")
    }

    // MARK: - Helpers

    static func connect(logger: Logger = Logger(label: "PostgresConnectionTests")) throws -> PostgresConnection {
        try PostgresConnection(dsn: try StackEnv.load().require("PG_DSN"), logger: logger)
    }

    static func uniqueName(_ prefix: String) -> String {
        "\(prefix)_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased())"
    }

    static func drop(_ table: String, on connection: PostgresConnection) {
        _ = try? connection.execute("DROP TABLE IF EXISTS \(table)")
    }

    static func micros(_ date: Date) -> Int {
        Int((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    /// Restarts the stack's PostgreSQL: `$BUTTON_PG_RESTART` (run with /bin/sh -c) or
    /// `scripts/stack restart postgres`, from the package root, with `BUTTON_RUN_DIR` set to the
    /// stack's `RUN_DIR`.
    ///
    /// Uses posix_spawn + waitpid rather than Foundation's `Process`: on Linux, `Process` learns
    /// that the child exited when a socket it leaks into the child closes, and the restarted
    /// postmaster (a daemonized grandchild) inherits that socket and keeps it open forever, so
    /// `waitUntilExit()` never returns.
    static func restartPostgres() throws {
        let stack = try StackEnv.load()
        var environment = ProcessInfo.processInfo.environment
        let command = environment["BUTTON_PG_RESTART"] ?? "scripts/stack restart postgres"
        if let runDir = stack.values["RUN_DIR"] {
            environment["BUTTON_RUN_DIR"] = runDir
        }
        let root = StackEnv.packageRoot.path.replacingOccurrences(of: "'", with: "'\\''")
        let status = try spawnAndWait(
            ["/bin/sh", "-c", "cd '\(root)' && \(command)"],
            environment: environment.map { "\($0.key)=\($0.value)" },
            timeout: .seconds(120)
        )
        try #require(status == 0, "restart command failed (status \(status)): \(command)")
    }

    private static func spawnAndWait(_ arguments: [String], environment: [String], timeout: Duration) throws -> Int32 {
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in argv + envp {
                free(pointer)
            }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", nil, nil, argv, envp)
        try #require(spawned == 0, "posix_spawn failed: \(spawned)")
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            guard ContinuousClock.now < deadline else {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                Issue.record("restart command timed out")
                return -1
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        // WIFEXITED / WEXITSTATUS are macros Swift does not import.
        return status & 0x7F == 0 ? (status >> 8) & 0xFF : -1
    }
}
