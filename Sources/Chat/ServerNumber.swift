import Foundation

/// The one place where a number from outside (a server's answer, a header, a stored retry time) is
/// clamped before any arithmetic. A server may send anything — `Retry-After: 9223372036854775807`,
/// `retry_after_ms: 1e300`, `origin_server_ts: -5`, an HTTP date in year 9999 — and Swift's integer
/// conversions and `Duration` arithmetic trap on overflow, which would take the bot down for everyone
/// (and again after each restart, when the same answer or stored time is read again). Every function
/// here is total: it never traps, and it returns nil for what is no number at all (NaN, garbage).
public enum ServerNumber {
    /// The longest a server may make us wait before a retry: one hour. A longer `Retry-After` or
    /// `retry_after_ms` is read as one hour; the room waits, the others go on.
    public static let maxRetryWait: Duration = .seconds(3_600)

    /// The latest moment a server timestamp or a stored time may be: the end of year 9999 (ISO 8601 and
    /// SQLite's date functions end there).
    public static let latestDate = Date(timeIntervalSince1970: 253_402_300_799)

    // MARK: Waits

    /// A wait of `seconds`, clamped to `0...maximum`; nil when it is not a number.
    public static func wait(seconds: Double, maximum: Duration = maxRetryWait) -> Duration? {
        guard !seconds.isNaN else { return nil }
        let cap = max(0, maximum.timeInterval)
        let clamped = min(max(0, seconds), cap)
        // Whole milliseconds: at most an hour's worth here, far inside Int64.
        return .milliseconds(Int64((clamped * 1000).rounded()))
    }

    /// A wait of `milliseconds` (Matrix `retry_after_ms`), clamped to `0...maximum`.
    public static func wait(milliseconds: Double, maximum: Duration = maxRetryWait) -> Duration? {
        guard !milliseconds.isNaN else { return nil }
        return wait(seconds: milliseconds / 1000, maximum: maximum)
    }

    /// An HTTP `Retry-After` value: delay-seconds (`120`, also absurd ones like `9223372036854775807`
    /// or `1e999`) or an HTTP date (`Fri, 31 Dec 1999 23:59:59 GMT`), clamped to `0...maximum`. Nil
    /// when it is neither.
    public static func retryAfter(header value: String, now: Date, maximum: Duration = maxRetryWait) -> Duration? {
        let text = value.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty, text.utf8.count <= 64 else { return nil }
        if text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            // Digits only: as a Double, so any length parses (and is clamped) instead of overflowing.
            return Double(text).flatMap { wait(seconds: $0, maximum: maximum) }
        }
        guard let date = httpDate(text) else { return nil }
        return wait(seconds: date.timeIntervalSince(now), maximum: maximum)
    }

    /// The date of an HTTP-date (RFC 9110: IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, and the obsolete
    /// RFC 850 `Sunday, 06-Nov-94 08:49:37 GMT` and asctime `Sun Nov  6 08:49:37 1994`), read by hand: nil
    /// for anything else. Foundation's `DateFormatter` trapped on some text a server may send (a header with
    /// a non-ASCII letter and NULs in it, found by the `sync` fuzz target: "Incorrect range CFRange"), and
    /// a trap on a server's answer takes the bot down for everyone.
    public static func httpDate(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        // Printable ASCII, some 24–30 characters (a little slack either way).
        guard (20...40).contains(bytes.count), bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
        let words = bytes.split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
        let day: Int?, month: Int?, year: Int?, time: String
        switch words.count {
        case 6 where words[5] == "GMT" && words[0].hasSuffix(","):  // IMF-fixdate
            guard weekdays.contains(String(words[0].dropLast())), words[1].count == 2, words[3].count == 4 else {
                return nil
            }
            (day, month, year, time) = (Int(words[1]), months.firstIndex(of: words[2]), Int(words[3]), words[4])
        case 4 where words[3] == "GMT" && words[0].hasSuffix(","):  // RFC 850, a two-digit year
            let parts = words[1].split(separator: "-", omittingEmptySubsequences: false).map(String.init)
            guard longWeekdays.contains(String(words[0].dropLast())), parts.count == 3, parts[0].count == 2,
                parts[2].count == 2, let yy = Int(parts[2])
            else { return nil }
            // POSIX's reading of a two-digit year: 69 and before are this century.
            (day, month, year, time) = (Int(parts[0]), months.firstIndex(of: parts[1]), yy < 70 ? 2000 + yy : 1900 + yy, words[2])
        case 5 where weekdays.contains(words[0]):  // asctime: the day may be one digit, after two spaces
            guard (1...2).contains(words[2].count), words[4].count == 4 else { return nil }
            (day, month, year, time) = (Int(words[2]), months.firstIndex(of: words[1]), Int(words[4]), words[3])
        default:
            return nil
        }
        let clock = time.split(separator: ":", omittingEmptySubsequences: false)
        guard let day, let month, let year, clock.count == 3, clock.allSatisfy({ $0.count == 2 }),
            let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]),
            (1...9999).contains(year), (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second),
            (1...CivilCalendar.daysIn(month: month + 1, year: year)).contains(day)
        else { return nil }
        let days = CivilCalendar.daysSince1970(year: year, month: month + 1, day: day)
        return Date(timeIntervalSince1970: Double(days * 86_400 + hour * 3_600 + minute * 60 + second))
    }

    private static let weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    private static let longWeekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    // MARK: Times

    /// A server timestamp in milliseconds since 1970 (Matrix `origin_server_ts`), clamped to
    /// 1970…9999; nil when it is not a number.
    public static func date(milliseconds: Double) -> Date? {
        guard !milliseconds.isNaN else { return nil }
        return clamped(Date(timeIntervalSince1970: min(max(0, milliseconds / 1000), latestDate.timeIntervalSince1970)))
    }

    /// The date, moved into 1970…9999 (a stored retry time from an old database may be anything).
    public static func clamped(_ date: Date) -> Date {
        let seconds = date.timeIntervalSince1970
        if seconds.isNaN { return Date(timeIntervalSince1970: 0) }
        return Date(timeIntervalSince1970: min(max(0, seconds), latestDate.timeIntervalSince1970))
    }

    // MARK: Counts and sizes

    /// A whole count or size in `range`: nil when the number is not whole or lies outside.
    public static func count(_ value: Double, in range: ClosedRange<Int> = 0...Int(Int32.max)) -> Int? {
        guard let whole = Int(exactly: value), range.contains(whole) else { return nil }
        return whole
    }

    /// A decimal header value (`Content-Length`) in `range`; nil when it is no such number.
    public static func count(header value: String, in range: ClosedRange<Int> = 0...Int(Int32.max)) -> Int? {
        let text = value.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty, text.utf8.count <= 19, let whole = Int(text), range.contains(whole) else { return nil }
        return whole
    }
}

extension Duration {
    /// The duration in seconds, as a Double (never traps).
    public var timeInterval: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// A duration of `seconds` clamped to `minimum...maximum` (NaN reads as `minimum`): for turning a
    /// computed `TimeInterval` into a sleep without trapping on an absurd value.
    public static func clamped(seconds: Double, minimum: Duration = .zero, maximum: Duration) -> Duration {
        guard !seconds.isNaN else { return minimum }
        let low = minimum.timeInterval
        let high = Swift.max(low, maximum.timeInterval)
        let value = Swift.min(Swift.max(seconds, low), high)
        // Microseconds keep sub-millisecond sleeps; 2^63 µs is some 292,000 years, far above any cap used.
        guard let micros = Int64(exactly: (value * 1_000_000).rounded()) else { return maximum }
        return .microseconds(micros)
    }

    /// Whole milliseconds, saturating at Int64's bounds instead of trapping.
    public var clampedMilliseconds: Int64 {
        let (product, overflow) = components.seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return components.seconds < 0 ? .min : .max }
        let (sum, overflow2) = product.addingReportingOverflow(components.attoseconds / 1_000_000_000_000_000)
        if overflow2 { return components.seconds < 0 ? .min : .max }
        return sum
    }
}
