import Avro
import Foundation
import Testing

/// Debian's interpreter; a `python3` earlier on PATH may lack the `avro` package.
private let python = "/usr/bin/python3"

/// Checks our encoding against an independent implementation: Debian's `python3-avro`.
///
/// Never skipped: without the interpreter or the package (`scripts/install-deps` installs
/// both) the tests fail, so CI can't pass without the check having run.
@Suite struct PythonInteropTests {

    /// Decodes `argv[2]` with the schema in `argv[1]` and prints it as JSON, timestamps as
    /// microseconds since the epoch.
    private static let decodeScript = """
        import avro.io, avro.schema, datetime, io, json, sys
        schema = avro.schema.parse(open(sys.argv[1]).read())
        data = open(sys.argv[2], "rb").read()
        stream = io.BytesIO(data)
        value = avro.io.DatumReader(schema).read(avro.io.BinaryDecoder(stream))
        if stream.tell() != len(data):
            sys.exit("trailing bytes")
        epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        def plain(v):
            if isinstance(v, datetime.datetime):
                return (v - epoch) // datetime.timedelta(microseconds=1)
            return str(v)
        print(json.dumps(value, default=plain, sort_keys=True))
        """

    /// Encodes a fixed event with the schema in `argv[1]` and prints the bytes as hex.
    private static let encodeScript = """
        import avro.io, avro.schema, datetime, io, sys
        schema = avro.schema.parse(open(sys.argv[1]).read())
        event = {"session_id": "5f0c2e3a-0000-4000-8000-000000000001",
                 "timestamp": datetime.datetime(2024, 11, 25, 3, 18, 0, 123456, tzinfo=datetime.timezone.utc),
                 "action": "EnterPage", "country_name": "Deutschland", "country_code": "DE",
                 "subdivision_name": "Bayern", "subdivision_code": "BY", "city_name": "München",
                 "cohort": None, "page_variant": "b"}
        out = io.BytesIO()
        avro.io.DatumWriter(schema).write(event, avro.io.BinaryEncoder(out))
        print(out.getvalue().hex())
        """

    private func run(_ script: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script] + arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "python failed: \(errorText)")
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func temporaryFile(_ contents: Data) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("avro-interop-\(UUID().uuidString)")
        try contents.write(to: url)
        return url
    }

    @Test func pythonDecodesWhatWeEncode() throws {
        let schema = try AvroSchema(parsing: Fixtures.buttonPressV1)
        let schemaFile = try temporaryFile(Data(Fixtures.buttonPressV1.utf8))
        defer { try? FileManager.default.removeItem(at: schemaFile) }
        for cohort in [AvroValue.int(3), .null] {
            let dataFile = try temporaryFile(Data(try schema.encode(Fixtures.event(cohort: cohort))))
            defer { try? FileManager.default.removeItem(at: dataFile) }
            let json = try run(Self.decodeScript, [schemaFile.path, dataFile.path])
            let decoded = try #require(
                try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
                "python printed \(json)"
            )
            #expect(decoded.count == 9)
            #expect(decoded["session_id"] as? String == "0b0c8a6e-2f6e-4a7e-9d86-4d1c3b9b7f10")
            #expect((decoded["timestamp"] as? NSNumber)?.int64Value == 1_732_500_000_123_456)
            #expect(decoded["action"] as? String == "PressButton")
            #expect(decoded["country_name"] as? String == "Côte d’Ivoire")
            #expect(decoded["country_code"] as? String == "CI")
            #expect(decoded["subdivision_name"] as? String == "")
            #expect(decoded["subdivision_code"] as? String == "")
            #expect(decoded["city_name"] as? String == "Abidjan")
            if cohort == .null {
                #expect(decoded["cohort"] is NSNull)
            } else {
                #expect((decoded["cohort"] as? NSNumber)?.intValue == 3)
            }
        }
    }

    @Test func weDecodeWhatPythonEncodes() throws {
        let schema = try AvroSchema(parsing: Fixtures.buttonPressV2)
        let schemaFile = try temporaryFile(Data(Fixtures.buttonPressV2.utf8))
        defer { try? FileManager.default.removeItem(at: schemaFile) }
        let hex = try run(Self.encodeScript, [schemaFile.path])
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            bytes.append(try #require(UInt8(hex[index..<next], radix: 16)))
            index = next
        }
        let value = try schema.decode(bytes)
        #expect(value["session_id"] == .string("5f0c2e3a-0000-4000-8000-000000000001"))
        #expect(value["timestamp"] == .long(1_732_504_680_123_456))
        #expect(value["action"] == .enumSymbol("EnterPage"))
        #expect(value["city_name"] == .string("München"))
        #expect(value["subdivision_code"] == .string("BY"))
        #expect(value["cohort"] == .union(branch: 0, value: .null))
        #expect(value["page_variant"] == .string("b"))
        #expect(try schema.encode(value) == bytes)
    }
}
