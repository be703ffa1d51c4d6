import Foundation
import GRDB
import Intake

/// Reading one column's value of a row read by position (`DirectStatement`), as `Row.decode` does: a value
/// of another type, or NULL where a value must be, is an error (never a trap).
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
