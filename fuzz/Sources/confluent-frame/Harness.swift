// Fuzzes a Kafka message value as the sink, the enricher and the console read it:
// Confluent framing, the writer schema named by its id, the Avro body, the event fields.
//
// The decoder's registry lookup is a fixed table: ids 1 and 2 are the schema versions
// producers registered before the current one (id 3), 4 is a schema the reader cannot
// resolve, 5 is not a schema, anything else is unknown.
import Avro
import ButtonEvents
import Dispatch
import Foundation
import FuzzSupport

/// Frozen texts of TestSupport's PressEventSchemaHistory (a test target, which this package
/// cannot import).
let schemaV1 = """
    {"type":"record","name":"button_presses","doc":"Web app interactions","fields":[\
    {"name":"session_id","type":{"type":"string","logicalType":"uuid"}},\
    {"name":"timestamp","type":{"type":"long","logicalType":"timestamp-micros"}},\
    {"name":"action","type":"string"},{"name":"country_name","type":"string"},\
    {"name":"country_code","type":"string"},{"name":"subdivision_name","type":"string"},\
    {"name":"subdivision_code","type":"string"},{"name":"city_name","type":"string"},\
    {"name":"cohort","type":["null","int"],"default":null}]}
    """
let schemaV2 = """
    {"type":"record","name":"button_presses","doc":"Web app interactions","fields":[\
    {"name":"session_id","type":"string","logicalType":"uuid"},\
    {"name":"timestamp","type":"long","logicalType":"timestamp-micros"},\
    {"name":"action","type":"string"},{"name":"country_name","type":"string"},\
    {"name":"country_code","type":"string"},{"name":"subdivision_name","type":"string"},\
    {"name":"subdivision_code","type":"string"},{"name":"city_name","type":"string"},\
    {"name":"cohort","type":["null","int"],"default":null}]}
    """
let unreadable = #"{"type":"record","name":"button_presses","fields":[{"name":"session_id","type":"int"}]}"#
let schemas: [Int32: String] = [1: schemaV1, 2: schemaV2, 3: PressEvent.schemaJSON, 4: unreadable, 5: "{"]

struct UnknownID: Error {}

/// One decoder for the whole run, as a consumer thread keeps one: its cache of writer
/// schemas is part of what is fuzzed.
///
/// `@unchecked Sendable`: libFuzzer calls the harness from one thread, and each call waits
/// for its task before returning, so the fields are never touched concurrently.
final class Shared: @unchecked Sendable {
    var decoder = PressEventDecoder(
        fetchSchema: { id in
            guard let text = schemas[id] else { throw UnknownID() }
            return text
        },
        isUnknownSchema: { $0 is UnknownID }
    )
    var result: Result<(event: PressEvent, schemaID: Int32), any Error>?

    /// Runs the async decoder to completion; `fetchSchema` never suspends, so this is quick.
    func decode(_ value: [UInt8]) -> Result<(event: PressEvent, schemaID: Int32), any Error> {
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                self.result = .success(try await self.decoder.decode(value))
            } catch {
                self.result = .failure(error)
            }
            done.signal()
        }
        done.wait()
        return result ?? .failure(UnknownID())
    }
}

let shared = Shared()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzDriver.bytes(data, size)
    let framed = try? ConfluentWireFormat.unframe(input)
    require((framed != nil) == (input.count >= 5 && input[0] == 0), "unframe accepts exactly a magic byte and an id")
    if let framed {
        require(
            ConfluentWireFormat.frame(schemaID: framed.schemaID, body: framed.body) == input,
            "frame(unframe(x)) == x"
        )
    }

    switch shared.decode(input) {
    case .failure(let error):
        // Every bad message is a permanent Failure (dead-lettered), never an error that
        // makes a consumer retry the same bytes forever.
        require(error is PressEventDecoder.Failure, "a bad message fails with PressEventDecoder.Failure")
    case .success(let (event, schemaID)):
        require(framed?.schemaID == schemaID && (1...3).contains(schemaID), "only the readable ids decode")
        if schemaID != 3 { require(!event.isBot, "an event from before is_bot reads as not a bot") }
        // Written again by the current producer, it reads back as the same event.
        switch shared.decode(event.encoded(schemaID: 3)) {
        case .success(let again): require(again.event == event, "an event survives re-encoding")
        case .failure(let error): require(false, "a re-encoded event decodes: \(error)")
        }
    }
    return 0
}

@main struct Harness {
    static func main() { FuzzDriver.run(fuzzOne, seeds: seeds) }
}

/// Framed events under each id of the table, and frames that are not events.
func seeds() -> [[UInt8]] {
    let event = PressEvent(
        sessionID: UUID(uuid: (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16)),
        timestamp: 1_764_250_000_123_456,
        action: .pressButton,
        countryName: "United Kingdom",
        countryCode: "GB",
        subdivisionName: "England",
        subdivisionCode: "ENG",
        cityName: "London",
        cohort: 3
    )
    // Versions 1 and 2 end before is_bot, the body's last byte.
    let before = Array(event.avroBody.dropLast())
    return [
        event.encoded(schemaID: 3),
        ConfluentWireFormat.frame(schemaID: 1, body: before),
        ConfluentWireFormat.frame(schemaID: 2, body: before),
        ConfluentWireFormat.frame(schemaID: 4, body: [2]),
        ConfluentWireFormat.frame(schemaID: 5, body: []),
        ConfluentWireFormat.frame(schemaID: 99, body: event.avroBody),
        [1, 0, 0, 0, 3] + event.avroBody,
        [0, 0, 0],
    ]
}
