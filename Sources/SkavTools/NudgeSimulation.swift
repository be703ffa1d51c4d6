import Chat
import Conversation
import Foundation
import Digest
import SkavBot
import Intake
import Logging
import Prompts
import Store
import Configuration

/// `skav nudges simulate`: a small organisation's month of nudges, run with a mock clock on an in-memory
/// store (<doc:Nudges>). The organisation and its activity are fixed; the calendar and `nudges.*` come
/// from the config. Nothing is sent anywhere: the log shows who would get what, and when.
public enum NudgeSimulation {
    public struct Line: Sendable, Equatable {
        public var at: Date
        public var text: String
    }

    static let units = ["Socialtjänst", "Skola"]
    static let roles = Roles(
        coordinators: ["@ia:kommun.se"],
        guides: [
            Roles.Guide(user: "@karin:kommun.se", units: ["Socialtjänst"]),
            Roles.Guide(user: "@olle:kommun.se", units: ["Skola"]),
        ])

    /// A scripted moment of activity: `day` working days after the start (0 = the first working day), at a local time.
    private struct Step {
        var day: Int
        var hour: Int
        var minute: Int
        var what: String
        var apply: @Sendable (IntakeTransaction, Date) throws -> Void
    }

    private static func idea(
        _ number: Int, _ author: UserID, _ title: String, stage: IdeaStage, unit: String? = nil, at date: Date
    ) -> Idea {
        Idea(
            number: number, author: author, title: title, problem: title, unit: unit, stage: stage, createdAt: date,
            updatedAt: date, submittedAt: stage == .utkast ? nil : date)
    }

    private static func person(_ tx: IntakeTransaction, _ id: UserID, at date: Date, _ change: (inout Person) -> Void) throws {
        var person = try tx.person(id) ?? Person(id: id, createdAt: date)
        change(&person)
        try tx.savePerson(person)
    }

    private static var script: [Step] {
        let anna: UserID = "@anna:kommun.se", bo: UserID = "@bo:kommun.se", cecilia: UserID = "@cecilia:kommun.se"
        let david: UserID = "@david:kommun.se", karin: UserID = "@karin:kommun.se"
        return [
            Step(day: 0, hour: 8, minute: 30, what: "karin moves #1 (Digital signering) to utvecklas") { tx, now in
                var moved = idea(1, cecilia, "Digital signering", stage: .utvecklas, unit: "Socialtjänst", at: now)
                moved.guide = karin
                try tx.saveIdea(moved)
                try tx.appendEvent(
                    IdeaEvent(ideaNumber: 1, at: now, actor: karin, kind: .stage, fromStage: .bedoms, toStage: .utvecklas))
            },
            Step(day: 0, hour: 9, minute: 10, what: "anna starts draft #2 (Skrivaren på plan 3) and goes quiet") { tx, now in
                try tx.saveIdea(idea(2, anna, "Skrivaren på plan 3", stage: .utkast, at: now))
            },
            Step(day: 0, hour: 10, minute: 0, what: "bo submits #3 (Vikarielistan) to Socialtjänst; bo writes `påminn inte`") {
                tx, now in
                try tx.saveIdea(idea(3, bo, "Vikarielistan", stage: .inkommen, unit: "Socialtjänst", at: now))
                try person(tx, bo, at: now) { $0.remindersOff = true }
            },
            Step(day: 0, hour: 11, minute: 0, what: "anna writes `veckofråga på`") { tx, now in
                try person(tx, anna, at: now) { $0.weeklyCheckin = true }
            },
            Step(day: 1, hour: 9, minute: 0, what: "anna and cecilia write `utmaningar på`") { tx, now in
                for user in [anna, cecilia] { try person(tx, user, at: now) { $0.challengeUpdates = true } }
            },
            Step(
                day: 1, hour: 10, minute: 0,
                what: "ia opens idea challenge 1 (Mindre papper), last day in two weeks (`utmaning ny …`)"
            ) { tx, now in
                let today = CivilDate(daysSince1970: Int((now.timeIntervalSince1970 + 3600) / 86_400))
                try tx.saveCampaign(
                    Campaign(
                        number: 1, title: "Mindre papper", question: "Vad tar onödigt mycket tid?",
                        deadline: today.adding(days: 14), openedBy: "@ia:kommun.se", openedAt: now))
            },
            Step(day: 1, hour: 13, minute: 0, what: "cecilia submits #4 (Schemat i förskolan) to Skola; nobody acts") { tx, now in
                try tx.saveIdea(idea(4, cecilia, "Schemat i förskolan", stage: .inkommen, unit: "Skola", at: now))
            },
            Step(day: 2, hour: 9, minute: 0, what: "karin claims #3 (`ta 3`)") { tx, now in
                var claimed = try tx.idea(number: 3)!
                claimed.guide = karin
                claimed.updatedAt = now
                try tx.saveIdea(claimed)
                try tx.appendEvent(IdeaEvent(ideaNumber: 3, at: now, actor: karin, kind: .claimed))
            },
            Step(day: 2, hour: 14, minute: 0, what: "david starts draft #5 (Nyckelskåpet)") { tx, now in
                try tx.saveIdea(idea(5, david, "Nyckelskåpet", stage: .utkast, at: now))
            },
            Step(day: 2, hour: 15, minute: 30, what: "david answers a question on #5") { tx, now in
                var draft = try tx.idea(number: 5)!
                draft.benefits = "colleagues"
                draft.updatedAt = now
                try tx.saveIdea(draft)
            },
            Step(day: 3, hour: 10, minute: 0, what: "david submits #5 to Skola") { tx, now in
                var draft = try tx.idea(number: 5)!
                draft.stage = .inkommen
                draft.unit = "Skola"
                draft.submittedAt = now
                draft.updatedAt = now
                try tx.saveIdea(draft)
            },
            Step(day: 3, hour: 11, minute: 0, what: "cecilia sends #8 (Blanketterna) to challenge 1: no reminders for her") {
                tx, now in
                var sent = idea(8, cecilia, "Blanketterna", stage: .inkommen, unit: "Skola", at: now)
                sent.campaign = 1
                try tx.saveIdea(sent)
            },
            Step(day: 4, hour: 15, minute: 0, what: "bo starts draft #6 (Parkeringen) and goes quiet") { tx, now in
                try tx.saveIdea(idea(6, bo, "Parkeringen", stage: .utkast, at: now))
            },
            Step(day: 6, hour: 16, minute: 0, what: "david writes `pausa påminnelser 5 dagar` and starts draft #7 (Kaffeautomaten)") {
                tx, now in
                try person(tx, david, at: now) { $0.pausedUntil = now.addingTimeInterval(5 * 86_400) }
                try tx.saveIdea(idea(7, david, "Kaffeautomaten", stage: .utkast, at: now))
            },
        ]
    }

    /// Runs `days` calendar days from the first working day at or after `start` (local midnight).
    public static func run(
        start: CivilDate, days: Int, calendar: WorkingCalendar, settings: NudgeSettings, prompts: PromptCatalog
    ) throws -> [Line] {
        let store = try IntakeStore()
        var quiet = Logger(label: "skav.simulate")
        quiet.logLevel = .critical
        let scheduler = NudgeScheduler(
            store: store, planner: NudgePlanner(calendar: calendar, settings: settings, roles: roles), prompts: prompts,
            defaultLanguage: .sv, logger: quiet)
        var firstDay = start
        while !calendar.isWorkingDay(firstDay) { firstDay = firstDay.adding(days: 1) }
        let startMoment = calendar.nextWorkingMoment(atOrAfter: calendar.startOfDay(firstDay))
        let end = calendar.startOfDay(start.adding(days: days))
        // The script's days are working days.
        var workingDays: [CivilDate] = []
        var cursor = firstDay
        while workingDays.count < 10 {
            if calendar.isWorkingDay(cursor) { workingDays.append(cursor) }
            cursor = cursor.adding(days: 1)
        }
        var pending = script.map { step in
            (at: calendar.startOfDay(workingDays[step.day]).addingTimeInterval(Double(step.hour * 3600 + step.minute * 60)), step: step)
        }.filter { $0.at < end }

        var lines: [Line] = []
        var now = min(startMoment, pending.first?.at ?? startMoment)
        while now < end {
            while let next = pending.first, next.at <= now {
                pending.removeFirst()
                try store.write { tx in try next.step.apply(tx, next.at) }
                lines.append(Line(at: next.at, text: "  · \(next.step.what)"))
            }
            let pass = try scheduler.runOnce(now: now)
            for entry in pass.log {
                let idea = entry.ideaNumber.map { " #\($0)" } ?? ""
                let outcome = entry.outcome == .sent ? "" : "  (\(entry.outcome.rawValue))"
                lines.append(Line(at: entry.at, text: "→ \(entry.recipient.rawValue)  \(entry.kind.rawValue)\(idea)\(outcome)"))
            }
            var next = now.addingTimeInterval(86_400)
            if let due = pass.nextDue { next = min(next, max(due, now.addingTimeInterval(1))) }
            if let event = pending.first { next = min(next, event.at) }
            now = next
        }
        return lines
    }

    /// `2026-12-07 mån 09:10  text`, in the calendar's time zone.
    public static func format(_ lines: [Line], calendar: WorkingCalendar) -> String {
        let formatter = DateFormatter()
        formatter.timeZone = calendar.timeZone
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "HH:mm"
        return lines.map { line in
            let day = calendar.day(of: line.at)
            let weekday = day.weekday.rawValue
            return "\(day) \(weekday) \(formatter.string(from: line.at))  \(line.text)"
        }.joined(separator: "\n")
    }
}

extension NudgeSimulation {
    /// The simulation with the config's calendar, `nudges.*` and prompts, formatted for printing.
    public static func report(config: SkavConfig, start: CivilDate, days: Int) throws -> String {
        let calendar = config.workingCalendar
        let lines = try run(
            start: start, days: days, calendar: calendar, settings: config.nudges, prompts: try SkavApp.prompts(config))
        let header = """
            Simulated nudges, \(start) + \(days) days; working hours \(config.calendar.workingHours), \
            holidays \(config.calendar.publicHolidays.rawValue); draft reminder after \(config.nudges.draftReminderAfter), \
            parked after \(config.nudges.draftParkAfter), guide follow-up \(config.nudges.guideFollowupAfter), \
            escalation \(config.nudges.guideEscalateAfter), stale stage \(config.nudges.staleStageAfter), \
            weekly check-in \(config.nudges.weeklyCheckin), max \(config.nudges.maxVoluntaryPerDay) voluntary a day.
            People: anna, bo, cecilia, david; guides karin (Socialtjänst), olle (Skola); coordinator ia.
            Lines with · are the scripted activity; → lines are nudges (not sent: the outcome in brackets).
            """
        return header + "\n\n" + format(lines, calendar: calendar)
    }
}
