import Foundation
import Synchronization

/// The working calendar every nudge obeys (SkavBot.docc/Nudges.md): a time zone, working hours, working days,
/// public holidays and extra days off. Pure: every moment is passed in, nothing reads the clock.
///
/// **Time zones and DST.** Wall-clock times are turned into instants with the time zone's own rules
/// (`TimeZone.secondsFromGMT(for:)`), never by adding 24 hours to a day. Each working day is one half-open
/// interval of real instants, `[start, end)`. Two rules make every wall time one instant:
/// - a wall time that does not exist (02:30 on the last Sunday of March in Europe/Stockholm) means the
///   first instant after the gap (03:00 CEST); a skipped wall time is never produced;
/// - a wall time that happens twice (02:30 on the last Sunday of October) means its first occurrence.
///
/// Everything is computed on instants, so `nextWorkingMoment` is monotonic (a later input never gives an
/// earlier answer), the repeated hour never gives one nudge two moments, and a working day is exactly as
/// long as the real time between its start and its end (a 00:00–24:00 day is 23 h in March, 25 h in October).
public struct WorkingCalendar: Sendable, Equatable {
    /// `sweden`: the days of `SwedishHolidays` (with the three eves) are not working days; `none`: no holidays.
    public enum PublicHolidays: String, Sendable, CaseIterable, Codable {
        case sweden, none
    }

    /// A wall-clock time of day in minutes after midnight, 0 … 1440 (`24:00`, only as an end).
    public struct TimeOfDay: Sendable, Hashable, Comparable, CustomStringConvertible {
        public let minutes: Int

        public init?(hour: Int, minute: Int) {
            guard (0...24).contains(hour), (0...59).contains(minute), hour < 24 || minute == 0 else { return nil }
            self.minutes = hour * 60 + minute
        }

        /// Strictly `HH:MM` (`8:00` is accepted too), `00:00` … `24:00`.
        public init?(_ text: String) {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, (1...2).contains(parts[0].count), parts[1].count == 2,
                parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
                let hour = Int(parts[0]), let minute = Int(parts[1])
            else { return nil }
            self.init(hour: hour, minute: minute)
        }

        public static func < (lhs: TimeOfDay, rhs: TimeOfDay) -> Bool { lhs.minutes < rhs.minutes }

        public var description: String {
            let hour = minutes / 60
            let minute = minutes % 60
            return (hour < 10 ? "0\(hour)" : "\(hour)") + ":" + (minute < 10 ? "0\(minute)" : "\(minute)")
        }
    }

    /// Working hours of a working day, `start` before `end`.
    public struct WorkingHours: Sendable, Hashable, CustomStringConvertible {
        public let start: TimeOfDay
        public let end: TimeOfDay

        public init?(start: TimeOfDay, end: TimeOfDay) {
            guard start < end, start.minutes < 1440 else { return nil }
            self.start = start
            self.end = end
        }

        /// `08:00-17:00` (an en dash and spaces around it are fine too).
        public init?(_ text: String) {
            let parts = text.split(whereSeparator: { $0 == "-" || $0 == "–" })
            guard parts.count == 2,
                let start = TimeOfDay(parts[0].trimmingCharacters(in: .whitespaces)),
                let end = TimeOfDay(parts[1].trimmingCharacters(in: .whitespaces))
            else { return nil }
            self.init(start: start, end: end)
        }

        /// 08:00–17:00.
        public static let office = WorkingHours(start: TimeOfDay(hour: 8, minute: 0)!, end: TimeOfDay(hour: 17, minute: 0)!)!
        /// 00:00–24:00.
        public static let allDay = WorkingHours(start: TimeOfDay(hour: 0, minute: 0)!, end: TimeOfDay(hour: 24, minute: 0)!)!

        public var description: String { "\(start)-\(end)" }
    }

    /// A weekday that would be a working day but is not, and why.
    public struct DayOff: Sendable, Hashable {
        public var date: CivilDate
        /// The holiday, or nil for one of the config's extra days off.
        public var holiday: SwedishHolidays.Kind?

        public var swedishName: String { holiday?.swedishName ?? "Extra ledig dag" }
        public var englishName: String { holiday?.englishName ?? "Extra day off" }
    }

    public static let stockholm = TimeZone(identifier: "Europe/Stockholm")!

    public var timeZone: TimeZone { didSet { intervals = IntervalCache() } }
    public var workingHours: WorkingHours { didSet { intervals = IntervalCache() } }
    /// Never empty.
    public var workingDays: Set<Weekday> { didSet { intervals = IntervalCache() } }
    public var publicHolidays: PublicHolidays { didSet { intervals = IntervalCache() } }
    public var extraDaysOff: Set<CivilDate> { didSet { intervals = IntervalCache() } }
    /// Each day's working interval, computed once (holidays and time-zone offsets are not cheap, and a
    /// digest asks about the same days for thousands of ideas). Shared by copies; a change makes a new one.
    private var intervals = IntervalCache()

    /// The default is Skav's: Europe/Stockholm, 08:00–17:00, Monday to Friday, Swedish holidays.
    /// `workingDays` must not be empty (the config refuses an empty list).
    public init(
        timeZone: TimeZone = WorkingCalendar.stockholm, workingHours: WorkingHours = .office,
        workingDays: Set<Weekday> = [.mon, .tue, .wed, .thu, .fri], publicHolidays: PublicHolidays = .sweden,
        extraDaysOff: Set<CivilDate> = []
    ) {
        precondition(!workingDays.isEmpty, "a working calendar needs at least one working day")
        self.timeZone = timeZone
        self.workingHours = workingHours
        self.workingDays = workingDays
        self.publicHolidays = publicHolidays
        self.extraDaysOff = extraDaysOff
    }

    // MARK: Days

    /// The length of a working day by the clock (08:00–17:00: 9 hours); "5 working days" is 5 × this.
    public var workingDayLength: Duration { .seconds((workingHours.end.minutes - workingHours.start.minutes) * 60) }

    /// `count` working days as working time.
    public func workingDays(_ count: Int) -> Duration { workingDayLength * count }

    /// A working weekday that is not a public holiday (when those count) nor an extra day off.
    public func isWorkingDay(_ day: CivilDate) -> Bool {
        workingDays.contains(day.weekday) && dayOff(day) == nil
    }

    /// The calendar day that `date` falls on in this calendar's time zone.
    public func day(of date: Date) -> CivilDate { CivilDate(date, in: timeZone) }

    /// The days of `year` on a working weekday that are off: holidays and extra days off, in date order.
    public func nonWorkingWeekdays(year: Int) -> [DayOff] {
        guard let first = CivilDate(year: year, month: 1, day: 1), let last = CivilDate(year: year, month: 12, day: 31)
        else { return [] }
        return (first.daysSince1970...last.daysSince1970).compactMap { number in
            let day = CivilDate(daysSince1970: number)
            guard workingDays.contains(day.weekday) else { return nil }
            return dayOff(day)
        }
    }

    /// Why a day is off regardless of its weekday, or nil. A holiday wins over an extra day off.
    private func dayOff(_ day: CivilDate) -> DayOff? {
        if publicHolidays == .sweden, let holiday = SwedishHolidays.holidays(on: day).first {
            return DayOff(date: day, holiday: holiday.kind)
        }
        return extraDaysOff.contains(day) ? DayOff(date: day, holiday: nil) : nil
    }

    /// The working time of `day` as instants, or nil on a day off (or a day whose hours fall into a DST gap).
    public func workingInterval(on day: CivilDate) -> Range<Date>? {
        if let known = intervals.interval(day.daysSince1970) { return known }
        let interval = computedWorkingInterval(on: day)
        intervals.remember(interval, for: day.daysSince1970)
        return interval
    }

    private func computedWorkingInterval(on day: CivilDate) -> Range<Date>? {
        guard isWorkingDay(day) else { return nil }
        let midnight = day.daysSince1970 * 86_400
        let start = instant(localSeconds: midnight + workingHours.start.minutes * 60)
        let end = instant(localSeconds: midnight + workingHours.end.minutes * 60)
        return start < end ? start..<end : nil
    }

    // MARK: Moments

    /// Whether `date` is inside working time.
    public func isWorkingMoment(_ date: Date) -> Bool {
        let today = day(of: date)
        // The neighbours too: in zones whose transitions touch midnight an interval can leave its day.
        return (-1...1).contains { workingInterval(on: today.adding(days: $0))?.contains(date) == true }
    }

    /// `date` itself when it is working time, else the start of the next working time. A nudge due outside
    /// working time is sent at this moment. Monotonic: `a <= b` implies `next(a) <= next(b)`.
    public func nextWorkingMoment(atOrAfter date: Date) -> Date {
        var cursor = day(of: date).adding(days: -1)
        // Terminates: there is a working weekday, and holidays and extra days off are finitely many a year.
        while true {
            if let interval = workingInterval(on: cursor), interval.upperBound > date {
                return max(date, interval.lowerBound)
            }
            cursor = cursor.adding(days: 1)
        }
    }

    /// The earliest working moment by which `duration` of working time has passed since `date`: the clock
    /// only runs in working time. "2 working hours" after Friday 16:00 is Monday 09:00; landing exactly on
    /// the end of working time gives the start of the next (Friday 15:00 + 2 h = Monday 08:00), so the
    /// answer can be acted on at once. A zero (or negative) duration gives `nextWorkingMoment(atOrAfter:)`.
    /// On a 00:00–24:00, every-day calendar without holidays this is plain addition.
    public func addingWorkingTime(_ duration: Duration, to date: Date) -> Date {
        var remaining = max(0, Self.seconds(duration))
        var current = nextWorkingMoment(atOrAfter: date)
        var cursor = day(of: current).adding(days: -1)
        while true {
            if let interval = workingInterval(on: cursor), interval.upperBound > current {
                current = max(current, interval.lowerBound)
                let available = interval.upperBound.timeIntervalSince(current)
                if remaining < available { return current.addingTimeInterval(remaining) }
                remaining -= available
                current = interval.upperBound
                if remaining <= 0 { return nextWorkingMoment(atOrAfter: current) }
            }
            cursor = cursor.adding(days: 1)
        }
    }

    /// The working time between two moments (zero when `end` is not after `start`).
    public func workingTime(from start: Date, to end: Date) -> Duration {
        guard end > start else { return .zero }
        var total: TimeInterval = 0
        var cursor = day(of: start).adding(days: -1)
        let last = day(of: end).adding(days: 1)
        while cursor <= last {
            if let interval = workingInterval(on: cursor) {
                let from = max(start, interval.lowerBound)
                let to = min(end, interval.upperBound)
                if to > from { total += to.timeIntervalSince(from) }
            }
            cursor = cursor.adding(days: 1)
        }
        return .milliseconds(Int64((total * 1000).rounded()))
    }

    // MARK: Wall clock

    /// The instant of a wall-clock time given as seconds since 1970-01-01 00:00 *local* time. A repeated
    /// wall time gives its first occurrence; a skipped one gives the first instant after the gap.
    package func instant(localSeconds local: Int) -> Date {
        // The offsets in force a day before and a day after cover any one transition near `local`.
        let offsets = Set([-86_400, 86_400].map { timeZone.secondsFromGMT(for: Date(seconds: local + $0)) })
        let valid = offsets.map { local - $0 }.filter { candidate in
            candidate + timeZone.secondsFromGMT(for: Date(seconds: candidate)) == local
        }
        if let first = valid.min() { return Date(seconds: first) }
        // In a gap: the transition lies between the candidates; find its first second.
        let candidates = offsets.map { local - $0 }
        var low = candidates.min()!  // before the transition
        var high = candidates.max()!  // after it
        let before = timeZone.secondsFromGMT(for: Date(seconds: low))
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if timeZone.secondsFromGMT(for: Date(seconds: middle)) == before { low = middle } else { high = middle }
        }
        return Date(seconds: high)
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        let (seconds, attoseconds) = duration.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}

extension Date {
    fileprivate init(seconds: Int) { self.init(timeIntervalSince1970: TimeInterval(seconds)) }
}

/// Working intervals by day number, thread-safe, bounded. Always equal to another: it only remembers what
/// the calendar's settings give.
final class IntervalCache: Sendable, Equatable {
    private let days = Mutex<[Int: Range<Date>?]>([:])
    static let capacity = 20_000

    /// The remembered interval (which may be "no working time": `.some(nil)`), or nil when not known yet.
    func interval(_ day: Int) -> Range<Date>?? { days.withLock { $0[day] } }

    func remember(_ interval: Range<Date>?, for day: Int) {
        days.withLock { days in
            if days.count >= Self.capacity { days.removeAll(keepingCapacity: true) }
            days[day] = .some(interval)
        }
    }

    static func == (lhs: IntervalCache, rhs: IntervalCache) -> Bool { true }
}
