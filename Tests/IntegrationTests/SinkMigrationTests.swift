import Foundation
import Logging
import Postgres
import PressSink
import Synchronization
import TestSupport
import Testing

/// The sink's migrations against the stack's PostgreSQL, each test in a schema of its own
/// (the DSN's `search_path`), so the stack's tables are never touched.
@Suite struct SinkMigrationTests {
    /// A fresh schema and a DSN whose connections create and find tables in it.
    struct Scratch {
        let schema = "migration_test_\(UUID().uuidString.prefix(8).lowercased())"
        let admin: PostgresConnection
        let dsn: String

        init(env: StackEnv) throws {
            let base = try env.require("PG_DSN")
            admin = try PostgresConnection(dsn: base, logger: Logger(label: "test.pg"))
            try admin.execute("CREATE SCHEMA \(schema)")
            // libpq passes `options` to the server: every session starts in the schema.
            dsn = base + (base.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(schema)"
        }

        func tables() throws -> [String] {
            try admin.query(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1",
                [.text(schema)]
            ).map { try $0.string("table_name") }
        }

        func versions() throws -> [Int] {
            try admin.query("SELECT version FROM \(schema).schema_migrations ORDER BY version").map {
                try $0.int("version")
            }
        }

        func drop() { _ = try? admin.execute("DROP SCHEMA \(schema) CASCADE") }
    }

    @Test func migratorsStartedTogetherApplyEachVersionOnceAndAllSucceed() throws {
        let env = try StackEnv.load()
        let scratch = try Scratch(env: env)
        defer { scratch.drop() }
        // Four migrators at once, as four sinks starting together on a new database. The
        // real migrations take milliseconds, so a leading pg_sleep holds each one's window
        // open: without the advisory lock all four would plan every version, and all but one
        // would fail on CREATE TABLE or on schema_migrations' primary key.
        let slow =
            [SinkMigration(version: 1, name: "slow", statements: ["SELECT pg_sleep(0.3)"])]
            + SinkMigrations.all.map {
                SinkMigration(version: $0.version + 1, name: $0.name, statements: $0.statements)
            }
        let dsn = scratch.dsn
        let outcomes = Mutex<[Result<[Int], any Error>]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            let outcome = Result<[Int], any Error> {
                let connection = try PostgresConnection(dsn: dsn, logger: Logger(label: "test.pg"))
                return try SinkMigrations.apply(on: connection, migrations: slow, logger: Logger(label: "test"))
            }
            outcomes.withLock { $0.append(outcome) }
        }
        let applied = try outcomes.withLock { $0 }.map { try $0.get() }
        #expect(applied.count == 4)
        // Exactly one applied everything; the others found it done.
        #expect(applied.filter { !$0.isEmpty } == [slow.map(\.version)])
        #expect(try scratch.versions() == slow.map(\.version))
        #expect(try scratch.tables().contains("button_presses"))

        // `button-sink migrate`, as the stack runs it, on a database migrated by another
        // program version refuses rather than guessing.
        let result = try Command.run(env.binary("button-sink"), ["migrate"], environment: ["PG_DSN": dsn])
        #expect(result.status != 0)
        #expect(result.errors.contains("newer version"), "\(result.errors)")
    }

    @Test func aSecondRunAppliesNothingAndAFailedMigrationLeavesNothingBehind() throws {
        let env = try StackEnv.load()
        let scratch = try Scratch(env: env)
        defer { scratch.drop() }
        let connection = try PostgresConnection(dsn: scratch.dsn, logger: Logger(label: "test.pg"))
        #expect(
            try SinkMigrations.apply(on: connection, logger: Logger(label: "test")) == SinkMigrations.all.map(\.version)
        )
        #expect(try SinkMigrations.apply(on: connection, logger: Logger(label: "test")).isEmpty)

        // A newer program's list whose second new migration fails: neither new one stays.
        let next = (SinkMigrations.all.last?.version ?? 0) + 1
        let broken =
            SinkMigrations.all + [
                SinkMigration(version: next, name: "a good one", statements: ["CREATE TABLE made_by_test (x int)"]),
                SinkMigration(
                    version: next + 1,
                    name: "a bad one",
                    statements: ["ALTER TABLE no_such_table ADD y int"]
                ),
            ]
        #expect(throws: PostgresError.self) {
            try SinkMigrations.apply(on: connection, migrations: broken, logger: Logger(label: "test"))
        }
        #expect(try scratch.versions() == SinkMigrations.all.map(\.version))
        #expect(try !scratch.tables().contains("made_by_test"))

        // An older program meeting the newer database refuses instead of writing into it.
        _ = try SinkMigrations.apply(
            on: connection,
            migrations: Array(broken.prefix(SinkMigrations.all.count + 1)),
            logger: Logger(label: "test")
        )
        #expect(throws: SinkMigrationError.self) {
            try SinkMigrations.apply(on: connection, logger: Logger(label: "test"))
        }
    }

    @Test func aVersionOneTableGetsTheBotMarkWithItsRowsUnmarked() throws {
        let env = try StackEnv.load()
        let scratch = try Scratch(env: env)
        defer { scratch.drop() }
        let connection = try PostgresConnection(dsn: scratch.dsn, logger: Logger(label: "test.pg"))
        let first = Array(SinkMigrations.all.prefix(1))
        #expect(try SinkMigrations.apply(on: connection, migrations: first, logger: Logger(label: "test")) == [1])
        // A row as the JDBC sink or a version-1 sink wrote it.
        try connection.execute(
            """
            INSERT INTO button_presses (session_id, "timestamp", action, country_name, country_code,
                subdivision_name, subdivision_code, city_name)
            VALUES ('0b6f1c2d-0000-4000-8000-000000000001', 1780000000000001, 'PressButton', 'Japan', 'JP', '', '', '')
            """
        )
        #expect(try SinkMigrations.apply(on: connection, logger: Logger(label: "test")) == [2])
        let rows = try connection.query("SELECT is_bot FROM button_presses")
        #expect(try rows.map { try $0.bool("is_bot") } == [false])
    }
}
