// Fuzzes the Avro binary decoder with the event schema, as every reader of the topic runs
// it, and checks the event's two encoders against each other.
import Avro
import ButtonEvents
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzDriver.bytes(data, size)
    guard let value = try? PressEvent.schema.decode(input) else { return 0 }
    // What decodes encodes again, and that decodes to the same value (the bytes may differ:
    // a varint can be written longer than needed).
    let encoded = requireNoThrow("a decoded value encodes") { try PressEvent.schema.encode(value) }
    require(encoded.count <= input.count, "re-encoding never grows")
    let again = requireNoThrow("a re-encoded value decodes") { try PressEvent.schema.decode(encoded) }
    require(again == value, "decode(encode(v)) == v")

    guard let event = PressEvent(value) else { return 0 }
    // The press path's hand-written encoder agrees with the generic one, and its output
    // reads back as the same event.
    let generic = requireNoThrow("an event's record encodes") { try PressEvent.schema.encode(event.avroValue) }
    require(event.avroBody == generic, "avroBody == generic encoding")
    let reread = requireNoThrow("avroBody decodes") { try PressEvent.schema.decode(event.avroBody) }
    require(PressEvent(reread) == event, "an event survives avroBody")
    let framed = event.encoded(schemaID: 7)
    require(Array(framed.dropFirst(ConfluentWireFormat.headerSize)) == event.avroBody, "encoded = frame + avroBody")
    return 0
}

@main struct Harness {
    static func main() { FuzzDriver.run(fuzzOne, seeds: seeds) }
}

/// Event bodies as the workers write them.
func seeds() -> [[UInt8]] {
    let id = UUID(uuid: (0x0b, 0x6f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14))
    return [
        PressEvent(
            sessionID: id,
            timestamp: 1_764_250_000_123_456,
            action: .pressButton,
            countryName: "United Kingdom",
            countryCode: "GB",
            subdivisionName: "England",
            subdivisionCode: "ENG",
            cityName: "London",
            cohort: 3
        ),
        PressEvent(
            sessionID: id,
            timestamp: 0,
            action: .enterPage,
            countryName: "",
            countryCode: "",
            subdivisionName: "",
            subdivisionCode: "",
            cityName: "",
            cohort: nil,
            isBot: true
        ),
        PressEvent(
            sessionID: id,
            timestamp: -1,
            action: .pressButton,
            countryName: "Côte d’Ivoire",
            countryCode: "CI",
            subdivisionName: "Abidjan",
            subdivisionCode: "AB",
            cityName: "Abidjan",
            cohort: Int32.min
        ),
    ].map(\.avroBody)
}
