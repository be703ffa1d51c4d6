import Foundation
import GRDB
import Intake

/// The rows of a statement as their columns' values, by position. GRDB's `Row` keeps, for every query, a
/// dictionary of the statement's column names lowercased (`String(cString:)`, `lowercased()` and a hash for
/// each column, before the first row is read): for the one-row reads of every message (the person, the
/// draft) that was more than the read. The hot reads name their columns in the SQL (`Person.columns`,
/// `Idea.columns`) and take them by position here.
final class ColumnValuesCursor: DatabaseCursor {
    typealias Element = [DatabaseValue]
    let _statement: Statement
    var _isDone = false
    private let count: CInt

    /// Whether a row, by its first column's value, is read (else its element is empty).
    private let keep: ((DatabaseValue) -> Bool)?

    init(_ statement: Statement, arguments: StatementArguments, keep: ((DatabaseValue) -> Bool)? = nil) throws {
        _statement = statement
        count = CInt(statement.columnCount)
        self.keep = keep
        try statement.setArguments(arguments)
    }

    func _element(sqliteStatement: SQLiteStatement) throws -> [DatabaseValue] {
        if let keep, count > 0, !keep(DatabaseValue(sqliteStatement: sqliteStatement, index: 0)) { return [] }
        return (0..<count).map { DatabaseValue(sqliteStatement: sqliteStatement, index: $0) }
    }
}

extension Statement {
    /// Every row's values, read to the end (so the statement is done, never left in the middle of a read).
    func columnValues(_ arguments: StatementArguments) throws -> [[DatabaseValue]] {
        try Array(ColumnValuesCursor(self, arguments: arguments))
    }

    /// The values of the rows whose first column's value `keep` takes, read to the end; the other rows'
    /// columns are never read (the sender's lane reads step past the lanes in flight: their keys, a
    /// string each, were most of a read).
    func columnValues(_ arguments: StatementArguments, keepingRowsWhere keep: @escaping (DatabaseValue) -> Bool) throws -> [[DatabaseValue]] {
        var rows: [[DatabaseValue]] = []
        try ColumnValuesCursor(self, arguments: arguments, keep: keep).forEach { if !$0.isEmpty { rows.append($0) } }
        return rows
    }
}

/// Reading one column's value, as `Row.decode` does: a value of another type, or NULL where a value must
/// be, is an error (never a trap).
enum ColumnValue {
    static func required<Value: DatabaseValueConvertible>(
        _ value: DatabaseValue, _ column: String, of what: @autoclosure () -> String
    ) throws -> Value {
        guard let decoded = Value.fromDatabaseValue(value) else {
            throw IntakeError(.corrupt, "\(what()) has no readable \(column)")
        }
        return decoded
    }

    static func optional<Value: DatabaseValueConvertible>(
        _ value: DatabaseValue, _ column: String, of what: @autoclosure () -> String
    ) throws -> Value? {
        if value.isNull { return nil }
        guard let decoded = Value.fromDatabaseValue(value) else {
            throw IntakeError(.corrupt, "\(what()) has an unreadable \(column)")
        }
        return decoded
    }

    static func requiredDate(_ value: DatabaseValue, _ column: String, of what: @autoclosure () -> String) throws -> Date {
        guard let date = StoredDate.date(value) else { throw IntakeError(.corrupt, "\(what()) has no readable \(column)") }
        return date
    }

    static func optionalDate(_ value: DatabaseValue, _ column: String, of what: @autoclosure () -> String) throws -> Date? {
        if value.isNull { return nil }
        return try requiredDate(value, column, of: what())
    }
}
