/// A file of `KEY=value` lines: the settings a reload (SIGHUP) reads again.
///
/// The format is the common subset of systemd's `EnvironmentFile=` and a shell's: blank
/// lines and lines starting with `#` are skipped, an optional `export ` is allowed, and a
/// value in matching single or double quotes loses them (no escapes, no expansion). The
/// same file can so serve systemd at start and the master on every reload.
public enum EnvironmentFile {
    /// The variable naming the file.
    public static let variable = "BUTTON_ENV_FILE"

    /// Parses the text of such a file.
    /// - Returns: the settings, later lines winning.
    /// - Throws: `ParseError` naming the line at fault.
    public static func parse(_ text: String) throws(ParseError) -> [String: String] {
        var result: [String: String] = [:]
        // "\r\n" is one Character in Swift: a file written on Windows must split too.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        for (index, rawLine) in lines.enumerated() {
            var line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = line.dropFirst(7).trimmingWhitespace() }
            guard let equals = line.firstIndex(of: "=") else {
                throw ParseError(line: index + 1, reason: "expected KEY=value")
            }
            let key = line[..<equals].trimmingCharacters()
            guard !key.isEmpty, key.allSatisfy({ $0 == "_" || $0.isASCII && ($0.isLetter || $0.isNumber) }),
                key.first?.isNumber == false
            else {
                throw ParseError(line: index + 1, reason: "'\(key)' is not a variable name")
            }
            var value = line[line.index(after: equals)...].trimmingWhitespace()
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = value.dropFirst().dropLast()
            }
            result[key] = String(value)
        }
        return result
    }

    /// A line that is not `KEY=value`. It names the line only: values may be secrets.
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        /// 1-based line number.
        public let line: Int
        /// What is wrong with it.
        public let reason: String
        /// - Parameters:
        ///   - line: 1-based line number.
        ///   - reason: what is wrong with it.
        public init(line: Int, reason: String) {
            self.line = line
            self.reason = reason
        }

        public var description: String { "line \(line): \(reason)" }
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" || first == "\r" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" || last == "\r" { text = text.dropLast() }
        return text
    }

    fileprivate func trimmingCharacters() -> String { String(trimmingWhitespace()) }
}
