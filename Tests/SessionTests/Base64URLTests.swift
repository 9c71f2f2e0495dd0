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

    @Test(arguments: ["A", "AAAAA", "a+b/", "ab=c", "AB C", "é", "AB\u{0}D"])
    func rejectsWhatIsNotBase64URL(_ text: String) {
        #expect(Base64URL.decode(Substring(text)) == nil)
    }

    @Test func rejectsNonCanonicalTrailingBits() {
        // "AB" encodes one byte; "AC" has a set bit that no byte produces.
        #expect(Base64URL.decode("AB") == nil)
        #expect(Base64URL.decode("AA") == [0])
    }
}
