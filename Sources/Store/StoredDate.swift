import Foundation
import GRDB
import Intake

/// Dates as the store keeps them: GRDB's text form, "yyyy-MM-dd HH:mm:ss.SSS" in UTC, read without a calendar.
///
/// GRDB turns each stored date into date components and asks Foundation's Gregorian calendar for the date:
/// about a microsecond and a half each, and a digest of a large intake reads tens of thousands of dates (the
/// overdue ideas' histories). The text GRDB writes is fixed-width, so it is read here by arithmetic (the
/// civil date's days since 1970, `CivilDate`), to the same `Date`, bit for bit
/// (`StoredDateTests` compares the two over random dates). Anything else SQLite may hold for a date (a
/// number, an ISO form with a `T` or a zone, a date without a time) goes to GRDB as before.
enum StoredDate {
    /// The date of the column at `index`; nil when it is NULL or not a date.
    static func date(_ row: Row, _ index: Int) -> Date? { date(row[index] as DatabaseValue) }

    /// The date of the named column; nil when it is NULL or not a date.
    static func date(_ row: Row, _ column: String) -> Date? { date(row[column] as DatabaseValue) }

    static func date(_ value: DatabaseValue) -> Date? {
        if case .string(let text) = value.storage, let date = parse(text) { return date }
        return Date.fromDatabaseValue(value)
    }

    /// The date of the column at `index`, which must hold one (a corrupt row is an error, never a trap).
    static func required(_ row: Row, _ index: Int, _ what: @autoclosure () -> String) throws -> Date {
        guard let date = date(row, index) else { throw IntakeError(.corrupt, "\(what()) has no readable date") }
        return date
    }

    /// The date of the named column, which must hold one.
    static func required(_ row: Row, _ column: String, _ what: @autoclosure () -> String) throws -> Date {
        guard let date = date(row, column) else { throw IntakeError(.corrupt, "\(what()) has no readable \(column)") }
        return date
    }

    /// "yyyy-MM-dd HH:mm:ss" or "yyyy-MM-dd HH:mm:ss.SSS" (digits only where digits belong), else nil. Years
    /// before 1600 are left to GRDB: Foundation's calendar is Julian before October 1582.
    static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { bytes -> Date? in
            guard bytes.count == 19 || bytes.count == 23, bytes[4] == 0x2D, bytes[7] == 0x2D, bytes[10] == 0x20,
                bytes[13] == 0x3A, bytes[16] == 0x3A
            else { return nil }
            func number(_ from: Int, _ count: Int) -> Int? {
                var value = 0
                for index in from..<(from + count) {
                    let digit = Int(bytes[index]) - 0x30
                    guard digit >= 0, digit <= 9 else { return nil }
                    value = value * 10 + digit
                }
                return value
            }
            guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
                let minute = number(14, 2), let second = number(17, 2),
                year >= 1600, let date = CivilDate(year: year, month: month, day: day), hour < 24, minute < 60, second < 60
            else { return nil }
            var milliseconds = 0
            if bytes.count == 23 {
                guard bytes[19] == 0x2E, let fraction = number(20, 3) else { return nil }
                milliseconds = fraction
            }
            let seconds = date.daysSince1970 * 86_400 + hour * 3_600 + minute * 60 + second
            // As Foundation's calendar computes it: whole seconds since 2001, then the fraction.
            return Date(
                timeIntervalSinceReferenceDate: Double(seconds - 978_307_200) + Double(milliseconds * 1_000_000) / 1e9)
        }
    }

    /// GRDB's text for a date ("yyyy-MM-dd HH:mm:ss.SSS", UTC), without its `DateFormatter` (ICU, a few
    /// microseconds a date, and every message writes several). CoreFoundation adds half a millisecond to the
    /// milliseconds since 1970 and ICU floors them, as here; `StoredDateTests` holds the two to the same
    /// text over 50,000 random dates. Years outside 1600…9999 go to GRDB.
    static func text(_ date: Date) -> String {
        let milliseconds = ((date.timeIntervalSinceReferenceDate + 978_307_200) * 1000 + 0.5).rounded(.down)
        // 1600-01-01 and 10000-01-01 in milliseconds since 1970.
        guard milliseconds >= -11_676_096_000_000, milliseconds < 253_402_300_800_000 else {
            return String.fromDatabaseValue(date.databaseValue) ?? ""
        }
        let total = Int(milliseconds)
        let (days, inDay) = total.quotientAndRemainder(dividingBy: 86_400_000)
        let (day, rest) = inDay < 0 ? (days - 1, inDay + 86_400_000) : (days, inDay)
        let civil = CivilDate(daysSince1970: day)
        var bytes = [UInt8](repeating: 0x30, count: 23)
        func put(_ value: Int, at offset: Int, width: Int) {
            var value = value
            for index in stride(from: offset + width - 1, through: offset, by: -1) {
                bytes[index] = UInt8(0x30 + value % 10)
                value /= 10
            }
        }
        put(civil.year, at: 0, width: 4)
        bytes[4] = 0x2D
        put(civil.month, at: 5, width: 2)
        bytes[7] = 0x2D
        put(civil.day, at: 8, width: 2)
        bytes[10] = 0x20
        put(rest / 3_600_000, at: 11, width: 2)
        bytes[13] = 0x3A
        put(rest / 60_000 % 60, at: 14, width: 2)
        bytes[16] = 0x3A
        put(rest / 1_000 % 60, at: 17, width: 2)
        bytes[19] = 0x2E
        put(rest % 1_000, at: 20, width: 3)
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension DatabaseDateEncodingStrategy {
    /// Dates of records written through `Encodable` as `StoredDate.text`: the text GRDB writes by default,
    /// without its `DateFormatter` (ICU), which the nudges, the history and the rest of the records used.
    static let storedText = DatabaseDateEncodingStrategy.custom { StoredDate.text($0) }
}
