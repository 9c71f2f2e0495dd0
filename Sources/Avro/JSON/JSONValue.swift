/// A parsed JSON document, kept close to its text: numbers keep their literal spelling and
/// objects keep their member order, so schema attributes can be checked and re-emitted exactly.
indirect enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    /// The number's literal text, already checked against the JSON number grammar.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    /// The value of the member named `key` when this is an object.
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// A short description of the JSON kind, for error messages.
    var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// One `"key": value` member of a JSON object.
struct JSONMember: Hashable, Sendable {
    var key: String
    var value: JSONValue
}

extension JSONValue {
    /// Compact JSON text; strings are emitted as UTF-8 with only the escapes JSON requires.
    var compactText: String {
        var output = ""
        write(to: &output, indent: nil, level: 0)
        return output
    }

    /// JSON text indented by two spaces per level.
    var prettyText: String {
        var output = ""
        write(to: &output, indent: "  ", level: 0)
        return output
    }

    private func write(to output: inout String, indent: String?, level: Int) {
        switch self {
        case .null: output += "null"
        case .bool(let flag): output += flag ? "true" : "false"
        case .number(let text): output += text
        case .string(let text): Self.writeString(text, to: &output)
        case .array(let items):
            writeContainer(open: "[", close: "]", count: items.count, to: &output, indent: indent, level: level) {
                items[$0].write(to: &$1, indent: indent, level: level + 1)
            }
        case .object(let members):
            writeContainer(open: "{", close: "}", count: members.count, to: &output, indent: indent, level: level) {
                Self.writeString(members[$0].key, to: &$1)
                $1 += indent == nil ? ":" : ": "
                members[$0].value.write(to: &$1, indent: indent, level: level + 1)
            }
        }
    }

    private func writeContainer(
        open: String,
        close: String,
        count: Int,
        to output: inout String,
        indent: String?,
        level: Int,
        element: (Int, inout String) -> Void
    ) {
        output += open
        guard count > 0 else {
            output += close
            return
        }
        for index in 0..<count {
            if index > 0 { output += "," }
            if let indent {
                output += "\n" + String(repeating: indent, count: level + 1)
            }
            element(index, &output)
        }
        if let indent {
            output += "\n" + String(repeating: indent, count: level)
        }
        output += close
    }

    static func writeString(_ text: String, to output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        output += "\""
    }
}
