import Avro
import ButtonEvents
import Foundation
import Synchronization
import Testing

@Suite struct PressEventDecoderTests {
    struct NotFound: Error {}
    struct Down: Error {}

    let event = PressEvent(
        sessionID: UUID(),
        timestamp: 1_795_789_082_390_581,
        action: .pressButton,
        countryName: "Japan",
        countryCode: "JP",
        subdivisionName: "Tokyo",
        subdivisionCode: "13",
        cityName: "Tokyo",
        cohort: 2
    )

    /// A registry with these schemas; counts fetches; `down` makes every fetch fail.
    final class FakeRegistry: Sendable {
        let schemas: [Int32: String]
        let fetches = Atomic<Int>(0)
        let down = Atomic<Bool>(false)
        init(_ schemas: [Int32: String]) { self.schemas = schemas }
        func decoder() -> PressEventDecoder {
            PressEventDecoder(
                fetchSchema: { id in
                    self.fetches.add(1, ordering: .relaxed)
                    if self.down.load(ordering: .relaxed) { throw Down() }
                    guard let text = self.schemas[id] else { throw NotFound() }
                    return text
                },
                isUnknownSchema: { $0 is NotFound }
            )
        }
    }

    @Test func decodesTheCurrentSchemaAndFetchesEachIdOnce() async throws {
        let registry = FakeRegistry([7: PressEvent.schemaJSON])
        var decoder = registry.decoder()
        for _ in 0..<3 {
            let decoded = try await decoder.decode(event.encoded(schemaID: 7))
            #expect(decoded.event == event && decoded.schemaID == 7)
        }
        #expect(registry.fetches.load(ordering: .relaxed) == 1)
    }

    @Test func olderSchemaWithoutCohortReadsAsNull() async throws {
        let old = """
            {"type":"record","name":"button_presses","fields":[{"name":"session_id","type":"string"},\
            {"name":"timestamp","type":"long"},{"name":"action","type":"string"},\
            {"name":"country_name","type":"string"},{"name":"country_code","type":"string"},\
            {"name":"subdivision_name","type":"string"},{"name":"subdivision_code","type":"string"},\
            {"name":"city_name","type":"string"}]}
            """
        guard case .record(var fields) = event.avroValue else { throw Down() }
        fields.removeAll { $0.name == "cohort" || $0.name == "is_bot" }
        let body = try AvroSchema(parsing: old).encode(.record(fields))
        var decoder = FakeRegistry([3: old]).decoder()
        let decoded = try await decoder.decode(ConfluentWireFormat.frame(schemaID: 3, body: body))
        var expected = event
        expected.cohort = nil
        #expect(decoded.event == expected)
    }

    @Test func permanentFailuresSayWhy() async throws {
        let incompatible = #"{"type":"record","name":"button_presses","fields":[{"name":"session_id","type":"int"}]}"#
        let registry = FakeRegistry([1: PressEvent.schemaJSON, 2: incompatible])
        var decoder = registry.decoder()
        let cases: [([UInt8], String)] = [
            (Array("hello".utf8), "not Confluent-framed"),
            (event.encoded(schemaID: 99), "unknown schema id 99"),
            (ConfluentWireFormat.frame(schemaID: 2, body: [2]), "schema 2 cannot be read"),
            (ConfluentWireFormat.frame(schemaID: 1, body: [0xFF, 0xFF]), "corrupt Avro body"),
        ]
        for (value, reason) in cases {
            await #expect {
                _ = try await decoder.decode(value)
            } throws: { error in
                (error as? PressEventDecoder.Failure)?.reason.contains(reason) == true
            }
        }
    }

    @Test func registryOutagesAreNotFailuresAndAreNotCached() async throws {
        let registry = FakeRegistry([1: PressEvent.schemaJSON])
        var decoder = registry.decoder()
        registry.down.store(true, ordering: .relaxed)
        await #expect(throws: Down.self) { _ = try await decoder.decode(event.encoded(schemaID: 1)) }
        registry.down.store(false, ordering: .relaxed)
        #expect(try await decoder.decode(event.encoded(schemaID: 1)).event == event)
    }
}
