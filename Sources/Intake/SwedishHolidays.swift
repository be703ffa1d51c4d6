/// Sweden's public holidays (allmänna helgdagar, lagen 1989:253) and the three eves that are days off
/// in practice (midsommarafton, julafton, nyårsafton), computed for any year.
///
/// Today's rules are applied to every year (no historical rules such as annandag pingst before 2005);
/// Easter follows the Gregorian calendar, so years before 1583 are proleptic.
public enum SwedishHolidays {
    /// One of the days. Raw values are stable ids; the names are the official names, shown by
    /// `skav calendar` (texts in chat come from the prompts).
    public enum Kind: String, Sendable, CaseIterable, Codable {
        case nyarsdagen, trettondedagJul, langfredagen, paskdagen, annandagPask, forstaMaj, kristiHimmelsfardsdag,
            pingstdagen, nationaldagen, midsommarafton, midsommardagen, allaHelgonsDag, julafton, juldagen,
            annandagJul, nyarsafton

        public var swedishName: String {
            switch self {
            case .nyarsdagen: "Nyårsdagen"
            case .trettondedagJul: "Trettondedag jul"
            case .langfredagen: "Långfredagen"
            case .paskdagen: "Påskdagen"
            case .annandagPask: "Annandag påsk"
            case .forstaMaj: "Första maj"
            case .kristiHimmelsfardsdag: "Kristi himmelsfärdsdag"
            case .pingstdagen: "Pingstdagen"
            case .nationaldagen: "Sveriges nationaldag"
            case .midsommarafton: "Midsommarafton"
            case .midsommardagen: "Midsommardagen"
            case .allaHelgonsDag: "Alla helgons dag"
            case .julafton: "Julafton"
            case .juldagen: "Juldagen"
            case .annandagJul: "Annandag jul"
            case .nyarsafton: "Nyårsafton"
            }
        }

        public var englishName: String {
            switch self {
            case .nyarsdagen: "New Year's Day"
            case .trettondedagJul: "Epiphany"
            case .langfredagen: "Good Friday"
            case .paskdagen: "Easter Sunday"
            case .annandagPask: "Easter Monday"
            case .forstaMaj: "May Day"
            case .kristiHimmelsfardsdag: "Ascension Day"
            case .pingstdagen: "Whit Sunday"
            case .nationaldagen: "National Day of Sweden"
            case .midsommarafton: "Midsummer Eve"
            case .midsommardagen: "Midsummer Day"
            case .allaHelgonsDag: "All Saints' Day"
            case .julafton: "Christmas Eve"
            case .juldagen: "Christmas Day"
            case .annandagJul: "Boxing Day"
            case .nyarsafton: "New Year's Eve"
            }
        }

        /// An allmän helgdag by law; false for the three eves, which are days off by custom and agreement.
        public var isPublicHoliday: Bool {
            switch self {
            case .midsommarafton, .julafton, .nyarsafton: false
            default: true
            }
        }
    }

    public struct Holiday: Sendable, Hashable {
        public var date: CivilDate
        public var kind: Kind
    }

    /// Easter Sunday of `year` by the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
    public static func easterSunday(year: Int) -> CivilDate {
        let a = year % 19
        let b = year / 100
        let c = year % 100
        let d = b / 4
        let e = b % 4
        let f = (b + 8) / 25
        let g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4
        let k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let day = (h + l - 7 * m + 114) % 31 + 1
        return date(year, month, day)
    }

    /// All sixteen days of `year`, in date order.
    public static func holidays(year: Int) -> [Holiday] {
        // Stable: Kristi himmelsfärd can fall on 1 May (e.g. 2008) or the national day on Pingst.
        unsorted(year: year).enumerated().sorted { ($0.element.date, $0.offset) < ($1.element.date, $1.offset) }
            .map(\.element)
    }

    /// The holidays on `day` (usually none or one; two when e.g. Kristi himmelsfärd is 1 May).
    public static func holidays(on day: CivilDate) -> [Holiday] {
        unsorted(year: day.year).filter { $0.date == day }
    }

    /// The sixteen days in the fixed order of `Kind` (not always date order: Easter moves).
    private static func unsorted(year: Int) -> [Holiday] {
        let easter = easterSunday(year: year)
        // The Saturday in 20–26 June; the Saturday in 31 October–6 November.
        let midsummerDay = saturday(onOrAfter: date(year, 6, 20))
        let allSaints = saturday(onOrAfter: date(year, 10, 31))
        return [
            Holiday(date: date(year, 1, 1), kind: .nyarsdagen),
            Holiday(date: date(year, 1, 6), kind: .trettondedagJul),
            Holiday(date: easter.adding(days: -2), kind: .langfredagen),
            Holiday(date: easter, kind: .paskdagen),
            Holiday(date: easter.adding(days: 1), kind: .annandagPask),
            Holiday(date: date(year, 5, 1), kind: .forstaMaj),
            Holiday(date: easter.adding(days: 39), kind: .kristiHimmelsfardsdag),
            Holiday(date: easter.adding(days: 49), kind: .pingstdagen),
            Holiday(date: date(year, 6, 6), kind: .nationaldagen),
            Holiday(date: midsummerDay.adding(days: -1), kind: .midsommarafton),
            Holiday(date: midsummerDay, kind: .midsommardagen),
            Holiday(date: allSaints, kind: .allaHelgonsDag),
            Holiday(date: date(year, 12, 24), kind: .julafton),
            Holiday(date: date(year, 12, 25), kind: .juldagen),
            Holiday(date: date(year, 12, 26), kind: .annandagJul),
            Holiday(date: date(year, 12, 31), kind: .nyarsafton),
        ]
    }

    private static func date(_ year: Int, _ month: Int, _ day: Int) -> CivilDate {
        // Only called with fixed, valid month/day pairs.
        CivilDate(year: year, month: month, day: day)!
    }

    private static func saturday(onOrAfter day: CivilDate) -> CivilDate {
        day.adding(days: (Weekday.sat.isoIndex - day.weekday.isoIndex + 7) % 7)
    }
}
