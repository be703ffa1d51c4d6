import Testing

@testable import Intake
@testable import Store
import Prompts
import GRDB

@Suite struct SwedishHolidaysTests {
    typealias K = SwedishHolidays.Kind

    /// Written by hand (Easter Sundays from the church calendar; the rest counted from them and from the
    /// weekday of 1 January), not with the code under test.
    static let table: [Int: [K: String]] = [
        2024: [
            .nyarsdagen: "01-01", .trettondedagJul: "01-06", .langfredagen: "03-29", .paskdagen: "03-31",
            .annandagPask: "04-01", .forstaMaj: "05-01", .kristiHimmelsfardsdag: "05-09", .pingstdagen: "05-19",
            .nationaldagen: "06-06", .midsommarafton: "06-21", .midsommardagen: "06-22", .allaHelgonsDag: "11-02",
            .julafton: "12-24", .juldagen: "12-25", .annandagJul: "12-26", .nyarsafton: "12-31",
        ],
        2025: [
            .nyarsdagen: "01-01", .trettondedagJul: "01-06", .langfredagen: "04-18", .paskdagen: "04-20",
            .annandagPask: "04-21", .forstaMaj: "05-01", .kristiHimmelsfardsdag: "05-29", .pingstdagen: "06-08",
            .nationaldagen: "06-06", .midsommarafton: "06-20", .midsommardagen: "06-21", .allaHelgonsDag: "11-01",
            .julafton: "12-24", .juldagen: "12-25", .annandagJul: "12-26", .nyarsafton: "12-31",
        ],
        2026: [
            .nyarsdagen: "01-01", .trettondedagJul: "01-06", .langfredagen: "04-03", .paskdagen: "04-05",
            .annandagPask: "04-06", .forstaMaj: "05-01", .kristiHimmelsfardsdag: "05-14", .pingstdagen: "05-24",
            .nationaldagen: "06-06", .midsommarafton: "06-19", .midsommardagen: "06-20", .allaHelgonsDag: "10-31",
            .julafton: "12-24", .juldagen: "12-25", .annandagJul: "12-26", .nyarsafton: "12-31",
        ],
        2027: [
            .nyarsdagen: "01-01", .trettondedagJul: "01-06", .langfredagen: "03-26", .paskdagen: "03-28",
            .annandagPask: "03-29", .forstaMaj: "05-01", .kristiHimmelsfardsdag: "05-06", .pingstdagen: "05-16",
            .nationaldagen: "06-06", .midsommarafton: "06-25", .midsommardagen: "06-26", .allaHelgonsDag: "11-06",
            .julafton: "12-24", .juldagen: "12-25", .annandagJul: "12-26", .nyarsafton: "12-31",
        ],
        2028: [
            .nyarsdagen: "01-01", .trettondedagJul: "01-06", .langfredagen: "04-14", .paskdagen: "04-16",
            .annandagPask: "04-17", .forstaMaj: "05-01", .kristiHimmelsfardsdag: "05-25", .pingstdagen: "06-04",
            .nationaldagen: "06-06", .midsommarafton: "06-23", .midsommardagen: "06-24", .allaHelgonsDag: "11-04",
            .julafton: "12-24", .juldagen: "12-25", .annandagJul: "12-26", .nyarsafton: "12-31",
        ],
        2029: [
            .nyarsdagen: "01-01", .trettondedagJul: "01-06", .langfredagen: "03-30", .paskdagen: "04-01",
            .annandagPask: "04-02", .forstaMaj: "05-01", .kristiHimmelsfardsdag: "05-10", .pingstdagen: "05-20",
            .nationaldagen: "06-06", .midsommarafton: "06-22", .midsommardagen: "06-23", .allaHelgonsDag: "11-03",
            .julafton: "12-24", .juldagen: "12-25", .annandagJul: "12-26", .nyarsafton: "12-31",
        ],
        2030: [
            .nyarsdagen: "01-01", .trettondedagJul: "01-06", .langfredagen: "04-19", .paskdagen: "04-21",
            .annandagPask: "04-22", .forstaMaj: "05-01", .kristiHimmelsfardsdag: "05-30", .pingstdagen: "06-09",
            .nationaldagen: "06-06", .midsommarafton: "06-21", .midsommardagen: "06-22", .allaHelgonsDag: "11-02",
            .julafton: "12-24", .juldagen: "12-25", .annandagJul: "12-26", .nyarsafton: "12-31",
        ],
    ]

    @Test(arguments: 2024...2030)
    func everyHolidayMatchesTheHandWrittenTable(year: Int) throws {
        let expected = try #require(Self.table[year])
        #expect(expected.count == K.allCases.count, "the table lists all sixteen days")
        let computed = SwedishHolidays.holidays(year: year)
        #expect(computed.count == 16)
        for holiday in computed {
            #expect("\(holiday.date)" == "\(year)-\(expected[holiday.kind] ?? "?")", "\(holiday.kind)")
        }
        #expect(computed.map(\.date) == computed.map(\.date).sorted(), "in date order")
    }

    @Test(arguments: [
        (1913, "1913-03-23"), (1943, "1943-04-25"), (2000, "2000-04-23"), (2008, "2008-03-23"),
        (2011, "2011-04-24"), (2038, "2038-04-25"), (2285, "2285-03-22"),
    ])
    func easterOnKnownDatesIncludingTheEarliestAndLatest(year: Int, date: String) {
        #expect("\(SwedishHolidays.easterSunday(year: year))" == date)
    }

    @Test func theRulesHoldForEveryYearFrom1900To2200() {
        for year in 1900...2200 {
            let days = Dictionary(uniqueKeysWithValues: SwedishHolidays.holidays(year: year).map { ($0.kind, $0.date) })
            let easter = days[.paskdagen]!
            #expect(easter.weekday == .sun)
            #expect(easter >= CivilDate(year: year, month: 3, day: 22)! && easter <= CivilDate(year: year, month: 4, day: 25)!)
            #expect(days[.langfredagen]!.weekday == .fri && days[.annandagPask]!.weekday == .mon)
            #expect(days[.kristiHimmelsfardsdag]!.weekday == .thu && days[.pingstdagen]!.weekday == .sun)
            let midsummer = days[.midsommardagen]!
            #expect(midsummer.weekday == .sat && midsummer.month == 6 && (20...26).contains(midsummer.day), "\(year)")
            #expect(days[.midsommarafton]!.weekday == .fri && days[.midsommarafton]!.adding(days: 1) == midsummer)
            let allSaints = days[.allaHelgonsDag]!
            #expect(allSaints.weekday == .sat, "\(year)")
            #expect(
                (allSaints.month == 10 && allSaints.day == 31) || (allSaints.month == 11 && allSaints.day <= 6),
                "\(year): \(allSaints)")
        }
    }

    @Test func midsummerAndAllSaintsAtTheEdgesOfTheirWeeks() {
        // 2026: 19 June is a Friday (earliest eve), 31 October a Saturday (earliest All Saints).
        // 2027: 25 June is a Friday (latest eve), 6 November a Saturday (latest All Saints).
        // 2025: 20 June is a Friday, 1 November a Saturday.
        let cases: [(Int, String, String, String)] = [
            (2026, "2026-06-19", "2026-06-20", "2026-10-31"),
            (2027, "2027-06-25", "2027-06-26", "2027-11-06"),
            (2025, "2025-06-20", "2025-06-21", "2025-11-01"),
        ]
        for (year, eve, day, allSaints) in cases {
            let days = Dictionary(uniqueKeysWithValues: SwedishHolidays.holidays(year: year).map { ($0.kind, "\($0.date)") })
            #expect(days[.midsommarafton] == eve)
            #expect(days[.midsommardagen] == day)
            #expect(days[.allaHelgonsDag] == allSaints)
        }
    }

    @Test func twoHolidaysOnOneDay() {
        // 2008: Easter 23 March, so Kristi himmelsfärd (+39) is 1 May.
        let may1 = CivilDate(year: 2008, month: 5, day: 1)!
        #expect(SwedishHolidays.holidays(on: may1).map(\.kind) == [.forstaMaj, .kristiHimmelsfardsdag])
        #expect(SwedishHolidays.holidays(on: CivilDate(year: 2008, month: 5, day: 2)!).isEmpty)
    }

    @Test func namesAndTheThreeEves() {
        #expect(K.trettondedagJul.swedishName == "Trettondedag jul")
        #expect(K.kristiHimmelsfardsdag.swedishName == "Kristi himmelsfärdsdag")
        #expect(K.nationaldagen.englishName == "National Day of Sweden")
        #expect(K.allCases.filter { !$0.isPublicHoliday } == [.midsommarafton, .julafton, .nyarsafton])
        #expect(Set(K.allCases.map(\.swedishName)).count == 16 && Set(K.allCases.map(\.englishName)).count == 16)
    }
}

@Suite struct CivilDateTests {
    @Test func parsesOnlyRealIsoDates() {
        #expect(CivilDate(iso: "2026-12-28") == CivilDate(year: 2026, month: 12, day: 28))
        #expect(CivilDate(iso: "2024-02-29") != nil)
        for bad in ["2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "26-04-01", "2026-4-1", "2026/04/01",
            "2026-04-01x", "", "2026-04", "+026-04-01"]
        {
            #expect(CivilDate(iso: bad) == nil, "\(bad)")
        }
    }

    @Test func weekdaysAndDayNumbers() {
        #expect(CivilDate(year: 1970, month: 1, day: 1)!.daysSince1970 == 0)
        #expect(CivilDate(year: 1970, month: 1, day: 1)!.weekday == .thu)
        #expect(CivilDate(year: 2000, month: 2, day: 29)!.weekday == .tue)
        #expect(CivilDate(year: 2026, month: 1, day: 1)!.weekday == .thu)
        #expect(CivilDate(year: 1900, month: 1, day: 1)!.weekday == .mon)
        #expect(CivilDate(year: 2024, month: 12, day: 31)!.adding(days: 1) == CivilDate(year: 2025, month: 1, day: 1))
        for number in stride(from: -100_000, through: 100_000, by: 97) {
            #expect(CivilDate(daysSince1970: number).daysSince1970 == number)
        }
        #expect("\(CivilDate(year: 987, month: 3, day: 4)!)" == "0987-03-04")
    }
}
