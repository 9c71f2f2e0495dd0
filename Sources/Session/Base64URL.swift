import ExtrasBase64

/// base64url without padding (RFC 4648 §5), as cookie values allow.
///
/// swift-extras-base64 does the work at byte level (the Foundation route, base64 plus string
/// replacements, was a fifth of a worker's CPU in the benchmark); this type only adds the
/// strictness a signed cookie needs.
enum Base64URL {
    private static let encodingOptions: Base64.EncodingOptions = [.base64UrlAlphabet, .omitPaddingCharacter]
    private static let decodingOptions: Base64.DecodingOptions = [.base64UrlAlphabet, .omitPaddingCharacter]
    /// Longest text decoded; a cookie part is far shorter, so anything longer is hostile.
    private static let maxInputBytes = 4096

    static func encode(_ bytes: [UInt8]) -> String {
        Base64.encodeToString(bytes: bytes, options: encodingOptions)
    }

    /// The bytes, or nil for any character outside the alphabet, an impossible length, or a
    /// text that is not the one encoding of its bytes.
    static func decode(_ text: Substring) -> [UInt8]? {
        decode(Array(text.utf8)[...])
    }

    static func decode(_ input: ArraySlice<UInt8>) -> [UInt8]? {
        guard input.count <= maxInputBytes,
            let bytes = try? Base64.decode(bytes: input, options: decodingOptions)
        else { return nil }
        // The library is lenient where a cookie must not be: it ignores the unused low bits
        // of a final partial group ("AB" and "AA" both give [0]) and accepts "=" in the final
        // group even without padding. Either would give one session several cookie texts, so
        // keep only the text we would have written ourselves.
        guard Base64.encodeToBytes(bytes: bytes, options: encodingOptions).elementsEqual(input) else { return nil }
        return bytes
    }
}
