extension AvroSchema {
    /// Checks the Avro specification's schema resolution rules, as Java's
    /// `SchemaCompatibility` does, with this schema as the reader.
    ///
    /// Named types match by unqualified name or when the writer's full name is one of the
    /// reader's aliases, as the spec and Java do. Logical types are ignored.
    /// - Parameter writer: The schema the data was written with.
    /// - Returns: ``AvroCompatibility/compatible``, or every reason it is not.
    public func compatibility(readingDataWrittenWith writer: AvroSchema) -> AvroCompatibility {
        var checker = AvroCompatibilityChecker(reader: self, writer: writer)
        let problems = checker.check(reader: root, writer: writer.root)
        if problems.isEmpty { return .compatible }
        return .incompatible(problems.map { "/" + $0.path.joined(separator: "/") + ": " + $0.message })
    }
}

/// One reason for incompatibility, with a path relative to the node being checked so results
/// for a pair of named types can be cached and reused at another position.
struct AvroIncompatibility: Hashable, Sendable {
    var path: [String]
    var message: String

    func prefixed(_ components: String...) -> AvroIncompatibility {
        AvroIncompatibility(path: components + path, message: message)
    }
}

/// Walks reader and writer schemas together.
struct AvroCompatibilityChecker {
    private struct NamePair: Hashable {
        var reader: String
        var writer: String
    }

    let reader: AvroSchema
    let writer: AvroSchema
    /// Record pairs being checked further up; meeting one again means recursion, which is
    /// assumed compatible (the rest of the walk decides).
    private var inProgress: Set<NamePair> = []
    private var finished: [NamePair: [AvroIncompatibility]] = [:]

    init(reader: AvroSchema, writer: AvroSchema) {
        self.reader = reader
        self.writer = writer
    }

    mutating func check(reader readerNode: AvroNode, writer writerNode: AvroNode) -> [AvroIncompatibility] {
        let readerType = reader.resolve(readerNode)
        let writerType = writer.resolve(writerNode)
        if case .union(let writerBranches) = writerType {
            // Each writer branch may occur in the data, so each must be readable.
            var problems: [AvroIncompatibility] = []
            for branch in writerBranches {
                problems += check(reader: readerType, writer: branch)
            }
            return problems
        }
        if case .union(let readerBranches) = readerType {
            for branch in readerBranches where check(reader: branch, writer: writerType).isEmpty {
                return []
            }
            return [
                AvroIncompatibility(
                    path: [],
                    message: "reader \(readerType.displayName) has no branch that can read writer type "
                        + "'\(writerType.displayName)'"
                )
            ]
        }
        switch (readerType, writerType) {
        case (.primitive(let readerPrimitive, _), .primitive(let writerPrimitive, _)):
            if readerPrimitive == writerPrimitive || Self.promotes(writerPrimitive, to: readerPrimitive) {
                return []
            }
        case (.record(let readerRecord), .record(let writerRecord)):
            guard Self.namesMatch(readerRecord.fullName, readerRecord.aliases, writerRecord.fullName) else {
                return [nameMismatch("record", readerRecord.fullName, writerRecord.fullName)]
            }
            return checkRecords(readerRecord, writerRecord)
        case (.enumeration(let readerEnum), .enumeration(let writerEnum)):
            guard Self.namesMatch(readerEnum.fullName, readerEnum.aliases, writerEnum.fullName) else {
                return [nameMismatch("enum", readerEnum.fullName, writerEnum.fullName)]
            }
            let missing = writerEnum.symbols.filter { !readerEnum.symbols.contains($0) }
            if missing.isEmpty || readerEnum.defaultSymbol != nil { return [] }
            return [
                AvroIncompatibility(
                    path: ["symbols"],
                    message: "reader enum '\(readerEnum.fullName)' has no default and lacks writer symbols "
                        + missing.joined(separator: ", ")
                )
            ]
        case (.fixed(let readerFixed), .fixed(let writerFixed)):
            guard Self.namesMatch(readerFixed.fullName, readerFixed.aliases, writerFixed.fullName) else {
                return [nameMismatch("fixed", readerFixed.fullName, writerFixed.fullName)]
            }
            if readerFixed.size == writerFixed.size { return [] }
            return [
                AvroIncompatibility(
                    path: ["size"],
                    message: "reader fixed '\(readerFixed.fullName)' has size \(readerFixed.size), "
                        + "writer has \(writerFixed.size)"
                )
            ]
        case (.array(let readerItems, _), .array(let writerItems, _)):
            return check(reader: readerItems, writer: writerItems).map { $0.prefixed("items") }
        case (.map(let readerValues, _), .map(let writerValues, _)):
            return check(reader: readerValues, writer: writerValues).map { $0.prefixed("values") }
        default:
            break
        }
        return [
            AvroIncompatibility(
                path: [],
                message: "reader type '\(readerType.displayName)' cannot read writer type '\(writerType.displayName)'"
            )
        ]
    }

    private mutating func checkRecords(
        _ readerRecord: AvroRecordSchema,
        _ writerRecord: AvroRecordSchema
    ) -> [AvroIncompatibility] {
        let pair = NamePair(reader: readerRecord.fullName, writer: writerRecord.fullName)
        if let known = finished[pair] { return known }
        guard inProgress.insert(pair).inserted else { return [] }
        var problems: [AvroIncompatibility] = []
        for field in readerRecord.fields {
            let writerField =
                writerRecord.field(named: field.name)
                ?? field.aliases.lazy.compactMap { writerRecord.field(named: $0) }.first
            if let writerField {
                problems += check(reader: field.type, writer: writerField.type).map {
                    $0.prefixed("fields", field.name)
                }
            } else if field.defaultValue == nil {
                problems.append(
                    AvroIncompatibility(
                        path: ["fields", field.name],
                        message: "reader field '\(field.name)' of record '\(readerRecord.fullName)' has no default "
                            + "and is missing from writer record '\(writerRecord.fullName)'"
                    )
                )
            }
        }
        inProgress.remove(pair)
        finished[pair] = problems
        return problems
    }

    private func nameMismatch(_ kind: String, _ readerName: String, _ writerName: String) -> AvroIncompatibility {
        AvroIncompatibility(
            path: ["name"],
            message: "reader \(kind) '\(readerName)' does not match writer \(kind) '\(writerName)' "
                + "(names differ and the writer's name is not a reader alias)"
        )
    }

    /// The spec compares unqualified names, then the writer's full name against reader aliases.
    private static func namesMatch(_ readerName: String, _ readerAliases: [String], _ writerName: String) -> Bool {
        AvroNode.simpleName(readerName) == AvroNode.simpleName(writerName) || readerAliases.contains(writerName)
    }

    private static func promotes(_ writer: AvroPrimitive, to reader: AvroPrimitive) -> Bool {
        switch (writer, reader) {
        case (.int, .long), (.int, .float), (.int, .double), (.long, .float), (.long, .double), (.float, .double),
            (.string, .bytes), (.bytes, .string):
            true
        default:
            false
        }
    }
}
