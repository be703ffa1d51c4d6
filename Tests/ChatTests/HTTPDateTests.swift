import Foundation
import Testing

@testable import Chat

/// HTTP dates (`Retry-After`, Mattermost's `Date`) are read by hand: the three forms of RFC 9110, nil for
/// anything else, never a trap.
@Suite struct HTTPDateTests {
    /// 1994-11-06 08:49:37 UTC, RFC 9110's example.
    static let example = Date(timeIntervalSince1970: 784_111_777)

    @Test(arguments: [
        "Sun, 06 Nov 1994 08:49:37 GMT",  // IMF-fixdate
        "Sunday, 06-Nov-94 08:49:37 GMT",  // RFC 850
        "Sun Nov  6 08:49:37 1994",  // asctime
    ])
    func theThreeFormsOfTheSameMoment(text: String) {
        #expect(ServerNumber.httpDate(text) == Self.example)
    }

    @Test func calendarEdges() {
        #expect(ServerNumber.httpDate("Thu, 01 Jan 1970 00:00:00 GMT") == Date(timeIntervalSince1970: 0))
        #expect(ServerNumber.httpDate("Thu, 29 Feb 2024 12:00:00 GMT") == Date(timeIntervalSince1970: 1_709_208_000))
        #expect(ServerNumber.httpDate("Tue, 29 Feb 2000 00:00:00 GMT") == Date(timeIntervalSince1970: 951_782_400))
        #expect(ServerNumber.httpDate("Fri, 31 Dec 9999 23:59:59 GMT") == ServerNumber.latestDate)
        #expect(ServerNumber.httpDate("Wed, 31 Dec 1969 23:59:59 GMT") == Date(timeIntervalSince1970: -1))
        #expect(ServerNumber.httpDate("Friday, 15-Jan-27 08:01:00 GMT") == Date(timeIntervalSince1970: 1_800_000_060))
        #expect(ServerNumber.httpDate("Monday, 01-Jan-70 00:00:00 GMT") == Date(timeIntervalSince1970: 0))
    }

    @Test(arguments: [
        "Wed, 29 Feb 2023 00:00:00 GMT",  // no 29 February in 2023
        "Mon, 31 Apr 2024 00:00:00 GMT",
        "Fri, 31 Dec 1999 24:00:00 GMT",
        "Fri, 31 Dec 1999 23:60:00 GMT",
        "Fri, 31 Dec 1999 23:59:59 UTC",
        "Fri, 31 Dec 0000 23:59:59 GMT",
        "Fri, 31 Dez 1999 23:59:59 GMT",
        "Fre, 31 Dec 1999 23:59:59 GMT",
        "Fri 31 Dec 1999 23:59:59 GMT",
        "Fri, 31 Dec 99 23:59:59 GMT",
        "Fri, 1 Dec 1999 23:59:59 GMT",
        "Fri, 31 Dec 1999 23:59 GMT",
        "Fri, 31 Dec 1999 23::59 GMT",
        "Friday, 31-Dec-1999 23:59:59 GMT",
        "Fri Dec 31 23:59:59 99",
        "Fri, 31 Dec 1999 23:59:59 GMT and more words",
        "2027-01-15T08:01:00Z",
        "Fri, ٣١ Dec 1999 23:59:59 GMT",
        "",
    ])
    func notAnHTTPDate(text: String) {
        #expect(ServerNumber.httpDate(text) == nil)
    }

    /// The `sync` fuzz target's find: Foundation's `DateFormatter` trapped on this header ("Incorrect range
    /// CFRange(location: 0, length: 7)"); a `Retry-After` a server sends must never stop the bot.
    @Test func theHeaderThatMadeTheFormatterTrap() {
        let header = "Fri, 31\u{65F}\0\0\0\0\0\0\0 23:59:59 GMT"
        #expect(ServerNumber.httpDate(header) == nil)
        #expect(ServerNumber.retryAfter(header: header, now: Self.example) == nil)
    }

    /// Seeded: any moment of 1970…9999 printed in each form (by Foundation, which prints safely) reads back
    /// as itself; and mutations of a valid date (bytes replaced by any of printable ASCII, NUL, non-ASCII
    /// letters) never trap and, when they still read, read as a moment of years 1…9999.
    @Test func printedMomentsReadBackAndMutationsNeverTrap() {
        var random = SplitMix64(seed: 0x5EED_DA7E)
        let formats = ["EEE, dd MMM yyyy HH:mm:ss 'GMT'", "EEEE, dd-MMM-yy HH:mm:ss 'GMT'", "EEE MMM d HH:mm:ss yyyy"]
        let formatters = formats.map { format in
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            return formatter
        }
        let alphabet = Array(" ,:-0123456789GMTSunNovDecFriday\0\u{65F}é٣".unicodeScalars)
        for _ in 0..<2_000 {
            let seconds = Double(Int64.random(in: 0...253_402_300_799, using: &random))
            let moment = Date(timeIntervalSince1970: seconds)
            let year = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "GMT")!, from: moment).year!
            for (index, formatter) in formatters.enumerated() {
                let text = formatter.string(from: moment)  // asctime's one-digit day with one space: read as well
                // A two-digit year reads as 1970…2069.
                if index != 1 || (1970...2069).contains(year) {
                    #expect(ServerNumber.httpDate(text) == moment, "\(text)")
                }
                var scalars = Array(text.unicodeScalars)
                for _ in 0..<Int.random(in: 1...3, using: &random) {
                    scalars[Int.random(in: 0..<scalars.count, using: &random)] = alphabet.randomElement(using: &random)!
                }
                var mutated = ""
                mutated.unicodeScalars.append(contentsOf: scalars)
                if let read = ServerNumber.httpDate(mutated) {
                    #expect(read >= Date(timeIntervalSince1970: -62_135_596_800) && read <= ServerNumber.latestDate)
                }
            }
        }
    }
}
