/// Turns a JSON document into a schema tree, checking the spec's naming and structure rules.
///
/// Defaults are checked afterwards by `AvroSchema`, once every named type (including the
/// record a recursive default refers to) is known.
struct AvroSchemaParser {
    /// Definitions by full name.
    private(set) var named: [String: AvroNode] = [:]
    /// Full names of records, in definition order.
    private(set) var recordNames: [String] = []

    private static let reservedNamedAttributes: Set<String> = [
        "type", "name", "namespace", "aliases", "doc", "logicalType", "fields", "symbols", "default", "size",
    ]
    private static let reservedFieldAttributes: Set<String> = ["name", "type", "default", "order", "aliases", "doc"]
    private static let fieldOrders: Set<String> = ["ascending", "descending", "ignore"]

    mutating func parseSchema(_ document: JSONValue) throws -> AvroNode {
        try parse(document, namespace: "", location: "top-level schema")
    }

    private func failure(_ location: String, _ problem: String) -> AvroError {
        AvroError(.invalidSchema, "\(location): \(problem)")
    }

    private mutating func parse(_ json: JSONValue, namespace: String, location: String) throws -> AvroNode {
        switch json {
        case .string(let name):
            return try typeNamed(name, namespace: namespace, location: location)
        case .array(let branches):
            return try parseUnion(branches, namespace: namespace, location: location)
        case .object(let members):
            return try parseObject(json, members: members, namespace: namespace, location: location)
        default:
            throw failure(
                location,
                "a schema must be a type name, an object or a union array, found \(json.kindDescription)"
            )
        }
    }

    private func typeNamed(_ name: String, namespace: String, location: String) throws -> AvroNode {
        if let primitive = AvroPrimitive(rawValue: name) {
            return .primitive(primitive, .none)
        }
        if !name.contains("."), !namespace.isEmpty, named[namespace + "." + name] != nil {
            return .reference(namespace + "." + name)
        }
        if named[name] != nil {
            return .reference(name)
        }
        let tried = name.contains(".") || namespace.isEmpty ? "'\(name)'" : "'\(namespace).\(name)' or '\(name)'"
        throw failure(location, "unknown type '\(name)' (no primitive or previously defined named type \(tried))")
    }

    private mutating func parseUnion(_ branches: [JSONValue], namespace: String, location: String) throws -> AvroNode {
        var nodes: [AvroNode] = []
        var seen: Set<String> = []
        for (index, branch) in branches.enumerated() {
            let node = try parse(branch, namespace: namespace, location: "\(location), union branch \(index)")
            let key: String
            switch node {
            case .union:
                throw failure(location, "a union may not immediately contain another union (branch \(index))")
            case .primitive(let primitive, _): key = primitive.rawValue
            case .array: key = "array"
            case .map: key = "map"
            default: key = node.displayName
            }
            guard seen.insert(key).inserted else {
                throw failure(location, "union contains type '\(key)' more than once")
            }
            nodes.append(node)
        }
        return .union(nodes)
    }

    private mutating func parseObject(
        _ json: JSONValue,
        members: [JSONMember],
        namespace: String,
        location: String
    ) throws -> AvroNode {
        guard let typeValue = json["type"] else {
            throw failure(location, "missing 'type' attribute")
        }
        guard case .string(let type) = typeValue else {
            throw failure(location, "'type' must be a string, found \(typeValue.kindDescription)")
        }
        switch type {
        case "record":
            return try parseRecord(json, members: members, namespace: namespace, location: location)
        case "enum":
            return try parseEnum(json, members: members, namespace: namespace, location: location)
        case "fixed":
            return try parseFixed(json, members: members, namespace: namespace, location: location)
        case "array":
            guard let items = json["items"] else { throw failure(location, "array is missing 'items'") }
            let node = try parse(items, namespace: namespace, location: "\(location), array items")
            return .array(items: node, try annotations(members, reserved: ["type", "items"], location: location))
        case "map":
            guard let values = json["values"] else { throw failure(location, "map is missing 'values'") }
            let node = try parse(values, namespace: namespace, location: "\(location), map values")
            return .map(values: node, try annotations(members, reserved: ["type", "values"], location: location))
        default:
            if let primitive = AvroPrimitive(rawValue: type) {
                return .primitive(primitive, try annotations(members, reserved: ["type"], location: location))
            }
            // `{"type": "SomeRecord"}` is a reference written as an object.
            return try typeNamed(type, namespace: namespace, location: location)
        }
    }

    private func annotations(
        _ members: [JSONMember],
        reserved: Set<String>,
        location: String
    ) throws -> AvroAnnotations {
        var result = AvroAnnotations.none
        for member in members where !reserved.contains(member.key) && member.key != "doc" {
            if member.key == "logicalType" {
                guard case .string(let logicalType) = member.value else {
                    throw failure(location, "'logicalType' must be a string")
                }
                result.logicalType = logicalType
            } else {
                result.properties.append(member)
            }
        }
        result.properties.sort { $0.key < $1.key }
        return result
    }

    /// Validates `name`/`namespace`, registers the full name and returns it with the namespace
    /// that nested definitions inherit.
    private mutating func defineName(
        _ json: JSONValue,
        kind: String,
        enclosingNamespace: String,
        location: String
    ) throws -> (fullName: String, namespace: String, aliases: [String]) {
        guard let nameValue = json["name"] else { throw failure(location, "\(kind) is missing 'name'") }
        guard case .string(let name) = nameValue else {
            throw failure(location, "\(kind) 'name' must be a string, found \(nameValue.kindDescription)")
        }
        var namespace = enclosingNamespace
        if let namespaceValue = json["namespace"] {
            guard case .string(let explicit) = namespaceValue else {
                throw failure(location, "\(kind) '\(name)': 'namespace' must be a string")
            }
            namespace = explicit
        }
        let fullName: String
        if let lastDot = name.lastIndex(of: ".") {
            fullName = name
            namespace = String(name[..<lastDot])
        } else {
            fullName = namespace.isEmpty ? name : namespace + "." + name
        }
        guard Self.isValidFullName(fullName) else {
            throw failure(location, "invalid \(kind) name '\(fullName)' (each part must match [A-Za-z_][A-Za-z0-9_]*)")
        }
        guard AvroPrimitive(rawValue: String(AvroNode.simpleName(fullName))) == nil else {
            throw failure(location, "\(kind) '\(fullName)' may not use a primitive type name")
        }
        guard named[fullName] == nil else {
            throw failure(location, "duplicate definition of type '\(fullName)'")
        }
        let aliases = try parseAliases(json["aliases"], qualifyingWith: namespace, location: "\(kind) '\(fullName)'")
        // Registered before the body is parsed so the body may refer to it (recursion).
        named[fullName] = .reference(fullName)
        return (fullName, namespace, aliases)
    }

    private func parseAliases(
        _ json: JSONValue?,
        qualifyingWith namespace: String?,
        location: String
    ) throws -> [String] {
        guard let json else { return [] }
        guard case .array(let items) = json else { throw failure(location, "'aliases' must be an array of names") }
        return try items.map { item in
            guard case .string(let alias) = item else { throw failure(location, "'aliases' must contain only strings") }
            let full: String
            if let namespace, !alias.contains("."), !namespace.isEmpty {
                full = namespace + "." + alias
            } else {
                full = alias
            }
            let valid = namespace == nil ? Self.isValidName(Substring(alias)) : Self.isValidFullName(full)
            guard valid else { throw failure(location, "invalid alias '\(alias)'") }
            return full
        }
    }

    private mutating func parseRecord(
        _ json: JSONValue,
        members: [JSONMember],
        namespace enclosing: String,
        location: String
    ) throws -> AvroNode {
        let (fullName, namespace, aliases) = try defineName(
            json,
            kind: "record",
            enclosingNamespace: enclosing,
            location: location
        )
        let here = "record '\(fullName)'"
        guard let fieldsValue = json["fields"] else { throw failure(here, "missing 'fields'") }
        guard case .array(let fieldValues) = fieldsValue else { throw failure(here, "'fields' must be an array") }
        var fields: [AvroFieldSchema] = []
        for (index, fieldValue) in fieldValues.enumerated() {
            guard case .object(let fieldMembers) = fieldValue else {
                throw failure(here, "field \(index) must be an object")
            }
            guard case .string(let fieldName) = fieldValue["name"] else {
                throw failure(here, "field \(index) is missing a string 'name'")
            }
            let fieldLocation = "field '\(fieldName)' of record '\(fullName)'"
            guard Self.isValidName(Substring(fieldName)) else {
                throw failure(here, "invalid field name '\(fieldName)'")
            }
            guard !fields.contains(where: { $0.name == fieldName }) else {
                throw failure(here, "duplicate field '\(fieldName)'")
            }
            guard let typeValue = fieldValue["type"] else { throw failure(fieldLocation, "missing 'type'") }
            let type = try parse(typeValue, namespace: namespace, location: fieldLocation)
            var order: String?
            if let orderValue = fieldValue["order"] {
                guard case .string(let text) = orderValue, Self.fieldOrders.contains(text) else {
                    throw failure(fieldLocation, "'order' must be \"ascending\", \"descending\" or \"ignore\"")
                }
                order = text
            }
            let properties = fieldMembers.filter { !Self.reservedFieldAttributes.contains($0.key) }
                .sorted { $0.key < $1.key }
            fields.append(
                AvroFieldSchema(
                    name: fieldName,
                    type: type,
                    defaultValue: fieldValue["default"],
                    order: order,
                    aliases: try parseAliases(fieldValue["aliases"], qualifyingWith: nil, location: fieldLocation),
                    properties: properties
                )
            )
        }
        let record = AvroRecordSchema(
            fullName: fullName,
            aliases: aliases,
            fields: fields,
            annotations: try annotations(members, reserved: Self.reservedNamedAttributes, location: here)
        )
        named[fullName] = .record(record)
        recordNames.append(fullName)
        return .record(record)
    }

    private mutating func parseEnum(
        _ json: JSONValue,
        members: [JSONMember],
        namespace enclosing: String,
        location: String
    ) throws -> AvroNode {
        let (fullName, _, aliases) = try defineName(
            json,
            kind: "enum",
            enclosingNamespace: enclosing,
            location: location
        )
        let here = "enum '\(fullName)'"
        guard let symbolsValue = json["symbols"] else { throw failure(here, "missing 'symbols'") }
        guard case .array(let symbolValues) = symbolsValue else { throw failure(here, "'symbols' must be an array") }
        var symbols: [String] = []
        for value in symbolValues {
            guard case .string(let symbol) = value, Self.isValidName(Substring(symbol)) else {
                throw failure(here, "symbol \(value.compactText) is not a valid name")
            }
            guard !symbols.contains(symbol) else { throw failure(here, "duplicate symbol '\(symbol)'") }
            symbols.append(symbol)
        }
        var defaultSymbol: String?
        if let defaultValue = json["default"] {
            guard case .string(let symbol) = defaultValue, symbols.contains(symbol) else {
                throw failure(here, "default \(defaultValue.compactText) is not one of the symbols")
            }
            defaultSymbol = symbol
        }
        let node = AvroNode.enumeration(
            AvroEnumSchema(
                fullName: fullName,
                aliases: aliases,
                symbols: symbols,
                defaultSymbol: defaultSymbol,
                annotations: try annotations(members, reserved: Self.reservedNamedAttributes, location: here)
            )
        )
        named[fullName] = node
        return node
    }

    private mutating func parseFixed(
        _ json: JSONValue,
        members: [JSONMember],
        namespace enclosing: String,
        location: String
    ) throws -> AvroNode {
        let (fullName, _, aliases) = try defineName(
            json,
            kind: "fixed",
            enclosingNamespace: enclosing,
            location: location
        )
        let here = "fixed '\(fullName)'"
        guard case .number(let text) = json["size"], let size = Int32(text), size >= 0 else {
            throw failure(here, "'size' must be a non-negative integer")
        }
        let node = AvroNode.fixed(
            AvroFixedSchema(
                fullName: fullName,
                aliases: aliases,
                size: Int(size),
                annotations: try annotations(members, reserved: Self.reservedNamedAttributes, location: here)
            )
        )
        named[fullName] = node
        return node
    }

    static func isValidName(_ name: Substring) -> Bool {
        guard let first = name.utf8.first else { return false }
        func isLetter(_ byte: UInt8) -> Bool {
            (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
        }
        return isLetter(first) && name.utf8.dropFirst().allSatisfy { isLetter($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    static func isValidFullName(_ name: String) -> Bool {
        name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(isValidName)
    }
}
