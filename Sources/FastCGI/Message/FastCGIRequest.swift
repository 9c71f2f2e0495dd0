#if canImport(Glibc)
import Glibc
#endif

/// One request as nginx passed it: CGI params and the request body.
///
/// A plain value, built from libfcgi's param array by the server and by tests directly,
/// so that routing and parsing can be tested without sockets.
///
/// The params live in one contiguous byte buffer (`NAME=value` entries back to back, as
/// libfcgi holds them) with an index of where each name and value ends: building a
/// request costs two allocations however many params nginx sends, and a lookup compares
/// bytes without creating a `String`. Handlers that only test or parse a value use the
/// byte accessors (`withParam`, `paramBytes`, `param(_:equals:)`).
///
/// A request carries the client's address (`REMOTE_ADDR`) and cookies: its `description`,
/// `debugDescription` and reflection (`dump`) name only the method, the path and sizes.
public struct FastCGIRequest: Sendable {
    /// Where one param lies in `storage`: name at `start..<nameEnd`, value at
    /// `nameEnd + 1 ..< valueEnd` (the byte at `nameEnd` is the `=`).
    struct Entry: Sendable {
        var start: Int32
        var nameEnd: Int32
        var valueEnd: Int32
        init(start: Int32, nameEnd: Int32, valueEnd: Int32) {
            self.start = start
            self.nameEnd = nameEnd
            self.valueEnd = valueEnd
        }
    }

    let storage: [UInt8]
    let entries: [Entry]

    /// The request body, at most the server's configured maximum.
    public let body: [UInt8]
    /// True when the client sent more body than the server accepts; `body` is then empty.
    public let bodyTooLarge: Bool

    init(storage: [UInt8], entries: [Entry], body: [UInt8], bodyTooLarge: Bool) {
        self.storage = storage
        self.entries = entries
        self.body = body
        self.bodyTooLarge = bodyTooLarge
    }

    /// - Parameters:
    ///   - params: CGI params as name/value pairs.
    ///   - body: the request body.
    ///   - bodyTooLarge: whether the body exceeded the configured limit.
    public init(params: [(name: String, value: [UInt8])], body: [UInt8] = [], bodyTooLarge: Bool = false) {
        var builder = Builder(capacity: params.reduce(0) { $0 + $1.name.utf8.count + 1 + $1.value.count })
        for (name, value) in params { builder.append(name: name.utf8, value: value) }
        self.init(storage: builder.storage, entries: builder.entries, body: body, bodyTooLarge: bodyTooLarge)
    }

    /// Convenience for tests: params from a dictionary of strings.
    public init(params: [String: String], body: [UInt8] = []) {
        self.init(params: params.map { (name: $0.key, value: Array($0.value.utf8)) }, body: body)
    }

    /// Params in arrival order, values as raw bytes: header values may be any bytes.
    ///
    /// Copies every param into new strings and arrays: for diagnostics and tests. Request
    /// handling uses the subscript and the byte accessors, which copy nothing.
    public var rawParams: [(name: String, value: [UInt8])] {
        entries.map { entry in
            (
                name: String(decoding: storage[Int(entry.start)..<Int(entry.nameEnd)], as: UTF8.self),
                value: Array(storage[Int(entry.nameEnd) + 1..<Int(entry.valueEnd)])
            )
        }
    }

    /// How many params nginx sent.
    public var paramCount: Int { entries.count }

    /// The index of the first param called `name`.
    ///
    /// A linear search: a request has a couple of dozen params and a handler looks up a
    /// few, which is cheaper than hashing them all. Lengths are compared first, so most
    /// entries are skipped without touching their bytes.
    func entryIndex(_ name: String) -> Int? {
        var name = name
        return name.withUTF8 { wanted in
            storage.withUnsafeBufferPointer { bytes in
                for (position, entry) in entries.enumerated()
                where Int(entry.nameEnd - entry.start) == wanted.count
                    && Self.equal(bytes, from: Int(entry.start), wanted)
                {
                    return position
                }
                return nil
            }
        }
    }

    static func equal(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, _ other: UnsafeBufferPointer<UInt8>) -> Bool
    {
        guard other.count > 0 else { return true }
        guard let base = bytes.baseAddress, let wanted = other.baseAddress else { return false }
        return memcmp(base + start, wanted, other.count) == 0
    }

    /// The value bytes of the first param called `name`, sharing the request's storage.
    /// - Returns: nil when absent.
    public func paramBytes(_ name: String) -> ArraySlice<UInt8>? {
        guard let position = entryIndex(name) else { return nil }
        let entry = entries[position]
        return storage[Int(entry.nameEnd) + 1..<Int(entry.valueEnd)]
    }

    /// Calls `body` with the raw value bytes of the first param called `name`, without
    /// copying them, e.g. to parse `REMOTE_ADDR` straight from the bytes.
    /// - Parameters:
    ///   - name: the param.
    ///   - body: receives the value; the buffer is valid only during the call.
    /// - Returns: what `body` returned, or nil when the param is absent.
    public func withParam<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        guard let position = entryIndex(name) else { return nil }
        let entry = entries[position]
        return try storage.withUnsafeBytes { all in
            try body(UnsafeRawBufferPointer(rebasing: all[Int(entry.nameEnd) + 1..<Int(entry.valueEnd)]))
        }
    }

    /// Whether the first param called `name` is present and its bytes are exactly `value`'s
    /// UTF-8, e.g. `param("HTTPS", equals: "on")`; allocates nothing.
    public func param(_ name: String, equals value: String) -> Bool {
        guard let position = entryIndex(name) else { return false }
        let entry = entries[position]
        var value = value
        return value.withUTF8 { wanted in
            Int(entry.valueEnd - entry.nameEnd - 1) == wanted.count
                && storage.withUnsafeBufferPointer { Self.equal($0, from: Int(entry.nameEnd) + 1, wanted) }
        }
    }

    /// A param decoded as UTF-8, or nil when absent or not valid UTF-8. The first one wins.
    public subscript(_ name: String) -> String? {
        guard let bytes = paramBytes(name) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Whether the param is present, whatever its bytes.
    public func has(_ name: String) -> Bool { entryIndex(name) != nil }

    /// The names of HTTP header params (`HTTP_*`) whose values are not valid UTF-8.
    public var headersWithInvalidUTF8: [String] {
        entries.filter { isHeader($0) && !isValidUTF8($0) }.map {
            String(decoding: storage[Int($0.start)..<Int($0.nameEnd)], as: UTF8.self)
        }
    }

    /// Whether every header value is valid UTF-8, leaving out the named ones.
    public func headersAreValidUTF8(except excluded: String) -> Bool {
        let skip = entryIndex(excluded)
        for (position, entry) in entries.enumerated() where position != skip && isHeader(entry) {
            // A repeated excluded header is excluded too.
            if skip != nil, sameName(entry, entries[skip ?? 0]) { continue }
            if !isValidUTF8(entry) { return false }
        }
        return true
    }

    private func isHeader(_ entry: Entry) -> Bool {
        let prefix: StaticString = "HTTP_"
        guard Int(entry.nameEnd - entry.start) >= prefix.utf8CodeUnitCount else { return false }
        return storage.withUnsafeBufferPointer { bytes in
            Self.equal(
                bytes,
                from: Int(entry.start),
                UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
            )
        }
    }

    private func sameName(_ one: Entry, _ other: Entry) -> Bool {
        storage[Int(one.start)..<Int(one.nameEnd)].elementsEqual(storage[Int(other.start)..<Int(other.nameEnd)])
    }

    private func isValidUTF8(_ entry: Entry) -> Bool {
        let value = storage[Int(entry.nameEnd) + 1..<Int(entry.valueEnd)]
        // Plain ASCII, the usual case, needs no decoding.
        return value.allSatisfy { $0 < 0x80 } || String(validating: value, as: UTF8.self) != nil
    }

    /// `REQUEST_METHOD`, uppercased; empty when missing.
    public var method: String { self["REQUEST_METHOD"]?.uppercased() ?? "" }

    /// The path part of `DOCUMENT_URI` (nginx's normalized URI) or of `REQUEST_URI`.
    public var path: String {
        if let uri = self["DOCUMENT_URI"], !uri.isEmpty { return uri }
        let uri = self["REQUEST_URI"] ?? "/"
        return String(uri.prefix { $0 != "?" })
    }

    /// The query string, without the leading `?`.
    public var query: String { self["QUERY_STRING"] ?? "" }
}

extension FastCGIRequest {
    /// Collects params into one buffer and its index.
    struct Builder {
        var storage: [UInt8] = []
        var entries: [Entry] = []

        init(capacity: Int, count: Int = 32) {
            storage.reserveCapacity(capacity)
            entries.reserveCapacity(count)
        }

        mutating func append(name: some Collection<UInt8>, value: some Collection<UInt8>) {
            let start = Int32(truncatingIfNeeded: storage.count)
            storage.append(contentsOf: name)
            let nameEnd = Int32(truncatingIfNeeded: storage.count)
            storage.append(UInt8(ascii: "="))
            storage.append(contentsOf: value)
            entries.append(Entry(start: start, nameEnd: nameEnd, valueEnd: Int32(truncatingIfNeeded: storage.count)))
        }

        /// Appends one `NAME=value` entry as libfcgi stores it; entries without `=` are skipped.
        mutating func append(entry bytes: UnsafeRawBufferPointer) {
            guard let base = bytes.baseAddress, let eq = memchr(base, Int32(UInt8(ascii: "=")), bytes.count) else {
                return
            }
            let start = storage.count
            // A bulk copy: appending a raw buffer as a sequence would go byte by byte.
            storage.append(
                contentsOf: UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: bytes.count)
            )
            entries.append(
                Entry(
                    start: Int32(truncatingIfNeeded: start),
                    nameEnd: Int32(truncatingIfNeeded: start + (UnsafeRawPointer(eq) - base)),
                    valueEnd: Int32(truncatingIfNeeded: storage.count)
                )
            )
        }
    }
}

extension FastCGIRequest: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Method, path and sizes only: never a param value, which may be the client's address
    /// or a cookie.
    public var description: String {
        "FastCGIRequest(\(method) \(path), \(entries.count) params, \(body.count)-byte body"
            + (bodyTooLarge ? ", body too large)" : ")")
    }

    /// The same redacted text: `String(reflecting:)` would otherwise print every param.
    public var debugDescription: String { description }

    /// What `dump` and debuggers show: the redacted fields only.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "method": method, "path": path, "paramCount": entries.count, "bodyBytes": body.count,
                "bodyTooLarge": bodyTooLarge,
            ],
            displayStyle: .struct
        )
    }
}
