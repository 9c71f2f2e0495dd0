/// The rows a statement returned, copied out of libpq's result (which is freed right away).
///
/// Values are kept in PostgreSQL's text format; `PostgresRow`'s getters convert them.
public struct PostgresRows: Sendable, RandomAccessCollection {
    /// The shared, immutable table the rows point into.
    struct Table: Sendable {
        let columns: [String]
        let columnIndex: [String: Int]
        let typeOIDs: [UInt32]
        /// Row-major: row `r`, column `c` is at `r * columns.count + c`; `nil` is NULL.
        let values: [String?]

        init(columns: [String], typeOIDs: [UInt32], values: [String?]) {
            self.columns = columns
            self.typeOIDs = typeOIDs
            self.values = values
            var index: [String: Int] = [:]
            for (position, name) in columns.enumerated() where index[name] == nil {
                index[name] = position
            }
            self.columnIndex = index
        }
    }

    let table: Table

    /// The number of rows the statement inserted, updated, deleted, copied or returned
    /// (libpq's `PQcmdTuples`); 0 for statements without a count.
    public let affectedRows: Int

    init(table: Table, affectedRows: Int) {
        self.table = table
        self.affectedRows = affectedRows
    }

    /// The result's column names, in order.
    public var columns: [String] { table.columns }

    public var startIndex: Int { 0 }

    public var endIndex: Int {
        table.columns.isEmpty ? 0 : table.values.count / table.columns.count
    }

    public subscript(position: Int) -> PostgresRow {
        precondition(indices.contains(position), "row index out of range")
        return PostgresRow(table: table, row: position)
    }
}
