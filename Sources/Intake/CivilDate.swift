import Chat
import Foundation

/// A day of the week. Raw values are the config's day names (`calendar.working_days`).
public enum Weekday: String, Sendable, CaseIterable, Comparable, Codable {
    case mon, tue, wed, thu, fri, sat, sun

    /// Monday = 0 … Sunday = 6 (ISO order).
    public var isoIndex: Int { Weekday.allCases.firstIndex(of: self)! }

    public static func < (lhs: Weekday, rhs: Weekday) -> Bool { lhs.isoIndex < rhs.isoIndex }

    /// The Swedish name, lower case as Swedish writes it (`måndag`). Used by the `skav calendar` listing;
    /// texts shown in chat come from the prompts.
    public var swedishName: String {
        switch self {
        case .mon: "måndag"
        case .tue: "tisdag"
        case .wed: "onsdag"
        case .thu: "torsdag"
        case .fri: "fredag"
        case .sat: "lördag"
        case .sun: "söndag"
        }
    }

    public var englishName: String {
        switch self {
        case .mon: "Monday"
        case .tue: "Tuesday"
        case .wed: "Wednesday"
        case .thu: "Thursday"
        case .fri: "Friday"
        case .sat: "Saturday"
        case .sun: "Sunday"
        }
    }
}

/// A calendar day (proleptic Gregorian), without a time or a time zone: the unit of holidays, days off
/// and working days. Pure arithmetic, no Foundation calendar involved.
public struct CivilDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// A real date, or nil (`2026-02-29`, month 13 …).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= CivilCalendar.daysIn(month: month, year: year) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// The day `days` after 1970-01-01 (negative: before).
    public init(daysSince1970 days: Int) {
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        self.year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        self.month = month
        self.day = day
    }

    /// Strictly `YYYY-MM-DD` with a real date, or nil.
    public init?(iso text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// Days since 1970-01-01.
    public var daysSince1970: Int { CivilCalendar.daysSince1970(year: year, month: month, day: day) }

    public var weekday: Weekday {
        // 1970-01-01 was a Thursday (index 3).
        let index = ((daysSince1970 + 3) % 7 + 7) % 7
        return Weekday.allCases[index]
    }

    public func adding(days: Int) -> CivilDate { CivilDate(daysSince1970: daysSince1970 + days) }

    /// The calendar day that `date` falls on in `timeZone`.
    public init(_ date: Date, in timeZone: TimeZone) {
        // Bounded before `Int(_:)`, which traps on NaN and beyond Int's range: ±10^15 s is some 30 million
        // years, far past any real date (a server's timestamp is clamped to 1970…9999 anyway).
        let seconds = date.timeIntervalSince1970
        let bounded = seconds.isNaN ? 0 : min(max(seconds, -1e15), 1e15)
        let local = Int(floor(bounded)) + timeZone.secondsFromGMT(for: date)
        self.init(daysSince1970: Int(floor(Double(local) / 86_400)))
    }

    /// `2026-04-03`.
    public var description: String {
        let y = String(year)
        let m = month < 10 ? "0\(month)" : "\(month)"
        let d = day < 10 ? "0\(day)" : "\(day)"
        return "\(String(repeating: "0", count: max(0, 4 - y.count)))\(y)-\(m)-\(d)"
    }

    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}
