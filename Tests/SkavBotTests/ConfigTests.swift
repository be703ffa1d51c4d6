import Chat
import Foundation
import Intake
import SkavTesting
import Testing
import Prompts
import Store

@testable import SkavBot
@testable import Configuration

@Suite struct ConfigTests {
    static let root = Repository.root

    @Test func theExampleConfigIsValidAndComplete() throws {
        let config = try SkavConfig.load(file: Self.root.appendingPathComponent("config/skav.example.yaml").path)
        #expect(config.chatKind == .matrix)
        #expect(config.matrix?.homeserver == "https://matrix.kommun.example")
        #expect(config.matrix?.userID == "@skav:kommun.example")
        #expect(config.matrix?.deviceID == "SKAV")
        #expect(config.matrix?.allowedDomains == ["kommun.example"])
        #expect(config.matrix?.syncTimeout == .seconds(30))
        #expect(config.matrix?.requestTimeout == .seconds(20))
        #expect(config.databasePath == "/var/lib/skav/skav.sqlite")
        #expect(config.language == .sv)
        #expect(config.timezone == "Europe/Stockholm")
        #expect(config.units.count == 4)
        #expect(config.themes.map(\.key) == ["integration", "klimat"])
        #expect(config.maxMessageLength == 4000)
        #expect(config.floodMaxMessages == 20 && config.floodWindow == .seconds(60))
        #expect(config.logLevel == "info")
        #expect(config.calendar.workingHours == .office)
        #expect(config.calendar.workingDays == [.mon, .tue, .wed, .thu, .fri])
        #expect(config.calendar.publicHolidays == .sweden)
        #expect(config.calendar.extraDaysOff.map(\.description).sorted() == ["2026-05-15", "2026-12-28"])
        #expect(config.draftRetention == .seconds(90 * 86_400))
        #expect(
            config.mattermost
                == SkavConfig.Mattermost(
                    url: "https://mattermost.kommun.example", team: "kommunen", allowedDomains: ["kommun.example"],
                    coordinatorsChannel: "samordnare0000000000000000", sharedChannel: "idetorget00000000000000000"))
    }

    @Test func draftRetention() throws {
        #expect(try SkavConfig.parse(yaml: "").draftRetention == .seconds(90 * 86_400))
        #expect(try SkavConfig.parse(yaml: "privacy: {draft_retention: 30d}").draftRetention == .seconds(30 * 86_400))
        #expect(try SkavConfig.parse(yaml: "privacy: {draft_retention: 48h}").draftRetention == .seconds(48 * 3600))
        for (yaml, key) in [
            ("privacy: {draft_retention: 1h}", "privacy.draft_retention"),
            ("privacy: {draft_retention: soon}", "privacy.draft_retention"),
            ("privacy: {retention: 30d}", "privacy.retention"),
        ] {
            do {
                _ = try SkavConfig.parse(yaml: yaml)
                Issue.record("\(yaml) was accepted")
            } catch {
                #expect(error.key == key, "\(yaml) → \(error)")
            }
        }
    }

    @Test func noConfigIsTheTerminalDefault() throws {
        let config = try SkavConfig.parse(yaml: "")
        #expect(config.chatKind == .terminal)
        #expect(config.databasePath.hasSuffix("skav/skav.sqlite"))
        #expect(config.units.isEmpty && config.themes.isEmpty)
    }

    @Test func defaultsFillWhatIsLeftOut() throws {
        let config = try SkavConfig.parse(
            yaml: """
                chat: {kind: matrix}
                matrix: {homeserver: "http://127.0.0.1:8008/", user_id: "@skav:localhost"}
                """)
        #expect(config.matrix?.homeserver == "http://127.0.0.1:8008", "a trailing slash is dropped")
        #expect(config.matrix?.allowedDomains == ["localhost"], "allowed domains default to the bot's own server")
        #expect(config.matrix?.deviceID == "SKAV")
    }

    @Test func mattermostSection() throws {
        let config = try SkavConfig.parse(
            yaml: """
                chat: {kind: mattermost}
                mattermost:
                  url: "https://mm.kommun.se/"
                  team: kommunen
                  allowed_domains: [Kommun.se]
                  token_file: secrets/mm-token
                  coordinators_channel: abcdefghijklmnopqrstuvwxyz
                  shared_channel: 0123456789abcdefghijklmnop
                  poll_interval: 2s
                roles: {coordinators: [anna00000000000000000000aa]}
                """, relativeTo: URL(fileURLWithPath: "/etc/skav"))
        let mattermost = try #require(config.mattermost)
        #expect(mattermost.url == "https://mm.kommun.se")
        #expect(mattermost.team == "kommunen")
        #expect(mattermost.allowedDomains == ["kommun.se"])
        #expect(mattermost.tokenFile == "/etc/skav/secrets/mm-token")
        #expect(mattermost.pollInterval == .seconds(2))
        #expect(config.coordinatorsRoom == RoomID("abcdefghijklmnopqrstuvwxyz"))
        #expect(config.sharedRoom == RoomID("0123456789abcdefghijklmnop"))
        #expect(config.roles.coordinators == [UserID("anna00000000000000000000aa")])
    }

    @Test func relativePathsAreTakenFromTheConfigFolder() throws {
        let config = try SkavConfig.parse(
            yaml: "database: {path: data/skav.sqlite}", relativeTo: URL(fileURLWithPath: "/etc/skav"))
        #expect(config.databasePath == "/etc/skav/data/skav.sqlite")
    }

    @Test(arguments: [
        ("chat: {kind: irc}", "chat.kind", "matrix, mattermost or terminal"),
        ("chat: {kind: matrix}", "matrix", "required"),
        ("chat: {kind: mattermost}", "mattermost", "required"),
        ("mattermost: {team: t, allowed_domains: [k.se]}", "mattermost.url", "missing"),
        ("mattermost: {url: 'ftp://x', team: t, allowed_domains: [k.se]}", "mattermost.url", "http"),
        ("mattermost: {url: 'http://x', allowed_domains: [k.se]}", "mattermost.team", "missing"),
        ("mattermost: {url: 'http://x', team: t}", "mattermost.allowed_domains", "missing"),
        ("mattermost: {url: 'http://x', team: t, allowed_domains: []}", "mattermost.allowed_domains", "at least one"),
        ("mattermost: {url: 'http://x', team: t, allowed_domains: [k.se], token: x}", "mattermost.token", "not a known setting"),
        ("mattermost: {url: 'http://x', team: t, allowed_domains: [k.se], shared_channel: town-square}", "mattermost.shared_channel", "channel id"),
        ("mattermost: {url: 'http://x', team: t, allowed_domains: [k.se], poll_interval: 10ms}", "mattermost.poll_interval", "between"),
        ("chat: {kind: mattermost}\nmattermost: {url: 'http://x', team: t, allowed_domains: [k.se]}\nroles: {coordinators: ['@anna:k.se']}", "roles.coordinators[0]", "Mattermost user id"),
        ("matrix: {user_id: '@a:b'}", "matrix.homeserver", "missing"),
        ("matrix: {homeserver: 'ftp://x', user_id: '@a:b'}", "matrix.homeserver", "http"),
        ("matrix: {homeserver: 'http://x', user_id: 'skav'}", "matrix.user_id", "full Matrix id"),
        ("matrix: {homeserver: 'http://x', user_id: '@a:b', allowed_domains: []}", "matrix.allowed_domains", "at least one"),
        ("matrix: {homeserver: 'http://x', user_id: '@a:b', sync_timeout: soon}", "matrix.sync_timeout", "duration"),
        ("matrix: {homeserver: 'http://x', user_id: '@a:b', passwrd: x}", "matrix.passwrd", "not a known setting"),
        ("matrix: {homeserver: 'http://x', user_id: '@a:b', request_timeout: 0s}", "matrix.request_timeout", "at least"),
        ("language: fi", "language", "sv or en"),
        ("timezone: Mars/Olympus", "timezone", "time zone"),
        ("units: [Skola, skola]", "units", "twice"),
        ("units: Skola", "units", "list"),
        ("challenges: [{key: 'två ord', title: x}]", "challenges[0].key", "letters"),
        ("challenges: [{key: a}]", "challenges[0].title", "missing"),
        ("challenges: [{key: a, title: x}, {key: a, title: y}]", "challenges", "same key"),
        ("limits: {max_message_length: 0}", "limits.max_message_length", "between"),
        ("limits: {max_message_length: many}", "limits.max_message_length", "whole number"),
        ("log: {level: loud}", "log.level", "one of"),
        ("limits: {flood_max_messages: 1}", "limits.flood_max_messages", "between"),
        ("limits: {flood_window: 0s}", "limits.flood_window", "at least"),
        ("databse: {path: x}", "databse", "not a known setting"),
        ("- just\n- a list", "", "mapping"),
        ("chat: {kind: [", "", "YAML"),
        ("units: [a]\nunits: [b]", "", "duplicated key"),
        ("calendar: {working_hours: '8-17'}", "calendar.working_hours", "not a time of day"),
        ("calendar: {working_hours: '08:00-25:00'}", "calendar.working_hours", "'25:00' is not a time of day"),
        ("calendar: {working_hours: '08:61-17:00'}", "calendar.working_hours", "not a time of day"),
        ("calendar: {working_hours: '17:00-08:00'}", "calendar.working_hours", "end must be after the start"),
        ("calendar: {working_hours: '08:00-08:00'}", "calendar.working_hours", "end must be after the start"),
        ("calendar: {working_hours: '08:00'}", "calendar.working_hours", "start and an end"),
        ("calendar: {working_hours: [8, 17]}", "calendar.working_hours", "single value"),
        ("calendar: {working_days: [mon, fredag]}", "calendar.working_days[1]", "'fredag' is not a day"),
        ("calendar: {working_days: []}", "calendar.working_days", "at least one day"),
        ("calendar: {working_days: [mon, Mon]}", "calendar.working_days", "twice"),
        ("calendar: {working_days: mon}", "calendar.working_days", "list"),
        ("calendar: {public_holidays: norway}", "calendar.public_holidays", "sweden or none"),
        ("calendar: {extra_days_off: [2026-02-30]}", "calendar.extra_days_off[0]", "not a date"),
        ("calendar: {extra_days_off: ['2026-12-28', 28/12/2026]}", "calendar.extra_days_off[1]", "YYYY-MM-DD"),
        ("calendar: {extra_days_off: [2026-12-28, 2026-12-28]}", "calendar.extra_days_off", "twice"),
        ("calendar: {extra_days_off: 2026-12-28}", "calendar.extra_days_off", "list"),
        ("calendar: {workinghours: '08:00-17:00'}", "calendar.workinghours", "not a known setting"),
    ])
    func aBrokenConfigNamesTheKeyAndTheProblem(yaml: String, key: String, problem: String) {
        #expect {
            _ = try SkavConfig.parse(yaml: yaml)
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.key == key && error.description.contains(problem)
        }
    }

    @Test func theCalendarSectionBuildsTheWorkingCalendar() throws {
        let defaults = try SkavConfig.parse(yaml: "").workingCalendar
        #expect(defaults == WorkingCalendar())
        #expect(try SkavConfig.parse(yaml: "calendar:\n").calendar == CalendarSettings(), "an empty section is the default")
        let config = try SkavConfig.parse(
            yaml: """
                timezone: Europe/Helsinki
                calendar:
                  working_hours: "00:00-24:00"
                  working_days: [MON, tue, wed, thu, fri, sat, sun]
                  public_holidays: none
                  extra_days_off: [2026-12-28, "2027-01-05"]
                """)
        let calendar = config.workingCalendar
        #expect(calendar.timeZone.identifier == "Europe/Helsinki")
        #expect(calendar.workingHours == .allDay)
        #expect(calendar.workingDays == Set(Weekday.allCases))
        #expect(calendar.publicHolidays == .none)
        #expect(calendar.extraDaysOff == [CivilDate(year: 2026, month: 12, day: 28)!, CivilDate(year: 2027, month: 1, day: 5)!])
        #expect(calendar.nonWorkingWeekdays(year: 2026).map(\.date.description) == ["2026-12-28"])
        let hours = try SkavConfig.parse(yaml: "calendar: {working_hours: '7:30 - 16:15'}").calendar.workingHours
        #expect(hours.description == "07:30-16:15")
    }

    @Test func errorsSayWhereInTheFile() {
        #expect {
            _ = try SkavConfig.parse(yaml: "language: sv\n\ntimezone: Nowhere/Land\n")
        } throws: { error in
            (error as? ConfigError)?.description == "config key 'timezone' (line 3): 'Nowhere/Land' is not a time zone (try Europe/Stockholm)"
        }
    }

    @Test func aMissingFileIsAClearError() {
        #expect {
            _ = try SkavConfig.load(file: "/nonexistent/skav.yaml")
        } throws: { error in
            (error as? ConfigError)?.description.contains("cannot read /nonexistent/skav.yaml") == true
        }
    }

    @Test func durations() {
        #expect(parseDuration("90s") == .seconds(90))
        #expect(parseDuration("250ms") == .milliseconds(250))
        #expect(parseDuration("2m") == .seconds(120))
        #expect(parseDuration("1h") == .seconds(3600))
        #expect(parseDuration("5d") == .seconds(432_000))
        #expect(parseDuration("45") == .seconds(45))
        #expect(parseDuration("-1s") == nil)
        #expect(parseDuration("soon") == nil)
    }

    /// Found by the `config` fuzz target's seed: `9223372036854775807d` overflowed `value * milliseconds`
    /// and trapped while the config was read. A duration is at most 36500d now; longer is a config error.
    @Test func absurdDurationsAreConfigErrorsNotTraps() {
        #expect(parseDuration("36500d") == .seconds(36_500 * 86_400))
        for text in ["36501d", "9223372036854775807d", "9223372036854775807ms", "9223372036854775807", "99999999999999999999s"] {
            #expect(parseDuration(text) == nil, "\(text)")
        }
        for (key, yaml) in [
            ("privacy.draft_retention", "privacy:\n  draft_retention: 9223372036854775807d\n"),
            ("limits.flood_window", "limits:\n  flood_window: 9223372036854775807h\n"),
            ("limits.flood_window", "limits:\n  flood_window: 99999999999999999999s\n"),
        ] {
            #expect(throws: ConfigError.self, "\(key)") { try SkavConfig.parse(yaml: yaml) }
            do {
                _ = try SkavConfig.parse(yaml: yaml)
            } catch {
                #expect(error.key == key)
            }
        }
        #expect(throws: ConfigError.self) { try SkavConfig.parse(yaml: "digest:\n  schedule: every 9223372036854775807h\n") }
    }

    /// Yams reads `1:30` as the sexagesimal 90 and overflows (a trap) on `9223372036854775807:0`; a whole
    /// number in the config is a plain decimal one.
    @Test func wholeNumbersArePlainDecimals() throws {
        for text in ["9223372036854775807:0", "99999999999999999999:59:59", "1:30", "0x14", "20.5", "[20]"] {
            #expect(throws: ConfigError.self, "\(text)") {
                try SkavConfig.parse(yaml: "limits:\n  max_message_length: \(text)\n")
            }
        }
        #expect(try SkavConfig.parse(yaml: "limits:\n  max_message_length: 500\n").maxMessageLength == 500)
        #expect(try SkavConfig.parse(yaml: "limits:\n  flood_max_messages: \"30\"\n").floodMaxMessages == 30)
    }
}
