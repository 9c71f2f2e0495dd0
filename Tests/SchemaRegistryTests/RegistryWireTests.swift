import Foundation
import SchemaRegistry
import Testing

/// The JSON field names of the Confluent API, as Karapace and Confluent spell them.
@Suite struct RegistryWireTests {
    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test func requestsLeaveOutWhatIsNotSet() throws {
        #expect(try Self.json(SchemaRequest(schema: "\"int\"")) == #"{"schema":"\"int\""}"#)
        #expect(
            try Self.json(SchemaRequest(schema: "x", schemaType: "AVRO", references: []))
                == #"{"references":[],"schema":"x","schemaType":"AVRO"}"#
        )
    }

    @Test func answersUseConfluentNames() throws {
        let error = try JSONDecoder().decode(
            RegistryErrorResponse.self,
            from: Data(#"{"error_code":40401,"message":"Subject 'x' not found."}"#.utf8)
        )
        #expect(error == RegistryErrorResponse(errorCode: 40401, message: "Subject 'x' not found."))
        let verdict = try JSONDecoder().decode(
            CompatibilityCheckResponse.self,
            from: Data(#"{"is_compatible":false,"messages":["a"]}"#.utf8)
        )
        #expect(verdict == CompatibilityCheckResponse(isCompatible: false, messages: ["a"]))
        #expect(try Self.json(CompatibilityCheckResponse(isCompatible: true)) == #"{"is_compatible":true}"#)
        // Karapace adds fields we don't use; they are ignored.
        let version = try JSONDecoder().decode(
            SubjectVersion.self,
            from: Data(#"{"subject":"s","version":2,"id":7,"schema":"\"int\"","schemaType":"AVRO"}"#.utf8)
        )
        #expect(version == SubjectVersion(subject: "s", version: 2, id: 7, schema: "\"int\""))
    }
}
