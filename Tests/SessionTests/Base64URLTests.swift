import Foundation
import Testing

@testable import Session

@Suite struct Base64URLTests {
    /// Foundation's base64, turned into base64url by hand: an independent reference.
    static func reference(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    @Test func matchesTheReferenceAndRoundTrips() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let encoded = Base64URL.encode(bytes)
            #expect(encoded == Self.reference(bytes))
            #expect(Base64URL.decode(Substring(encoded)) == bytes)
        }
    }

    @Test(arguments: ["A", "AAAAA", "a+b/", "ab=c", "AB C", "é", "AB\u{0}D", "AA==", "AAA=", "QUI=", "AA=A"])
    func rejectsWhatIsNotBase64URL(_ text: String) {
        #expect(Base64URL.decode(Substring(text)) == nil)
    }

    @Test func rejectsNonCanonicalTrailingBits() {
        // "AA" encodes the byte 0; "AB" sets one of the four unused low bits, which no byte
        // produces, so accepting it would give one cookie two spellings.
        #expect(Base64URL.decode("AB") == nil)
        #expect(Base64URL.decode("AA") == [0])
        // The same for two bytes: three characters carry two unused bits.
        #expect(Base64URL.decode("AAB") == nil)
        #expect(Base64URL.decode("AAA") == [0, 0])
    }

    @Test func rejectsOverlongInput() {
        #expect(Base64URL.decode(Substring(String(repeating: "A", count: 4100))) == nil)
        #expect(Base64URL.decode(Substring(String(repeating: "A", count: 4096)))?.count == 3072)
    }
}
