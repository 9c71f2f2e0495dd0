import Avro
import Testing

@Suite struct ConfluentWireFormatTests {
    @Test func framesWithMagicByteAndBigEndianID() {
        #expect(ConfluentWireFormat.frame(schemaID: 0x0102_0304, body: [0xAA]) == [0x00, 0x01, 0x02, 0x03, 0x04, 0xAA])
        #expect(ConfluentWireFormat.frame(schemaID: 1, body: []) == [0, 0, 0, 0, 1])
    }

    @Test func unframesWhatItFramed() throws {
        for id: Int32 in [0, 1, 255, 256, 65_537, Int32.max, -1] {
            let (schemaID, body) = try ConfluentWireFormat.unframe(
                ConfluentWireFormat.frame(schemaID: id, body: [1, 2])
            )
            #expect(schemaID == id)
            #expect(body == [1, 2])
        }
    }

    @Test func roundTripsAnEvent() throws {
        let schema = try AvroSchema(parsing: Fixtures.buttonPressV1)
        let message = ConfluentWireFormat.frame(schemaID: 42, body: try schema.encode(Fixtures.event()))
        let (schemaID, body) = try ConfluentWireFormat.unframe(message)
        #expect(schemaID == 42)
        #expect(try schema.decode(body) == Fixtures.event())
    }

    @Test(arguments: [
        ([UInt8](), "shorter than the 5-byte header"),
        ([0, 0, 0, 1], "shorter than the 5-byte header"),
        ([1, 0, 0, 0, 1, 2], "unknown magic byte 1"),
    ])
    func rejectsBadFrames(bytes: [UInt8], message: String) {
        do {
            _ = try ConfluentWireFormat.unframe(bytes)
            Issue.record("accepted a bad frame")
        } catch let error as AvroError {
            #expect(error.code == .wireFormat)
            #expect(error.message.contains(message))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
