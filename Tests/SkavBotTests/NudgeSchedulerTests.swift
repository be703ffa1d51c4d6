import Chat
import Conversation
import Foundation
import Intake
import SkavTesting
import Testing
import Prompts
@testable import Store

@testable import SkavBot
@testable import SkavTools
@testable import Digest
@testable import Configuration

/// A moment on the Stockholm wall clock.
func stockholm(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int = 0) -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = WorkingCalendar.stockholm
    return calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute))!
}

/// Simulated weeks (SkavBot.docc/Nudges.md): a mock clock drives `runOnce(now:)`, jumping from one due time to the
/// next; nothing sleeps.
@Suite struct NudgeSchedulerTests {
    struct World {
        let store: IntakeStore
        let scheduler: NudgeScheduler
        var log: [NudgeLogLine] = []

        init(yaml: String = Cast.rolesYAML()) throws {
            let config = try SkavConfig.parse(yaml: yaml)
            store = try IntakeStore()
            scheduler = NudgeScheduler(
                store: store, planner: SkavApp.nudgePlanner(config), prompts: testPrompts,
                defaultLanguage: .sv, logger: quietLogger)
        }

        /// Runs passes from `from` to `to`, each at the next due time (at least daily, so planning keeps up).
        /// A draft written at `at`, then the scheduler's passes from then until `end`.
        mutating func draft(_ number: Int, by author: UserID, at: Date, runUntil end: Date) throws {
            try draft(number, by: author, at: at)
            try run(from: at, to: end)
        }

        mutating func run(from: Date, to: Date) throws {
            var now = from
            while now <= to {
                let pass = try scheduler.runOnce(now: now)
                log += pass.log
                var next = now.addingTimeInterval(86_400)
                if let due = pass.nextDue { next = min(next, max(due, now.addingTimeInterval(1))) }
                now = next
            }
        }

        /// The sent nudges as `kind who when` lines (Stockholm time).
        var sent: [String] { log.filter { $0.outcome == .sent }.map(Self.describe) }
        var all: [String] { log.map(Self.describe) }

        static func describe(_ line: NudgeLogLine) -> String {
            let formatter = DateFormatter()
            formatter.timeZone = WorkingCalendar.stockholm
            formatter.dateFormat = "yyyy-MM-dd EEE HH:mm"
            formatter.locale = Locale(identifier: "en_US_POSIX")
            let idea = line.ideaNumber.map { " #\($0)" } ?? ""
            let outcome = line.outcome == .sent ? "" : " (\(line.outcome.rawValue))"
            return "\(formatter.string(from: line.at)) \(line.kind.rawValue)\(idea) → \(line.recipient.rawValue)\(outcome)"
        }

        func draft(_ number: Int, by author: UserID, at date: Date) throws {
            try store.write { tx in
                try tx.saveIdea(
                    Idea(number: number, author: author, title: "Idé \(number)", problem: "Skav \(number)",
                        createdAt: date, updatedAt: date))
                try tx.appendEvent(IdeaEvent(ideaNumber: number, at: date, actor: author, kind: .created, toStage: .utkast))
            }
        }

        func submitted(_ number: Int, by author: UserID, unit: String?, at date: Date) throws {
            try store.write { tx in
                try tx.saveIdea(
                    Idea(number: number, author: author, title: "Idé \(number)", problem: "Skav \(number)", unit: unit,
                        stage: .inkommen, createdAt: date, updatedAt: date, submittedAt: date))
                try tx.appendEvent(
                    IdeaEvent(ideaNumber: number, at: date, actor: author, kind: .submitted, fromStage: .utkast, toStage: .inkommen))
            }
        }

        func person(_ id: UserID, _ change: (inout Person) -> Void) throws {
            try store.write { tx in
                var person = try tx.person(id) ?? Person(id: id, createdAt: Date(timeIntervalSince1970: 0))
                change(&person)
                try tx.savePerson(person)
            }
        }

        var outbox: [OutboxEntry] { (try? store.read { try $0.allOutbox() }) ?? [] }
    }

    /// A silent draft is reminded once, then parked, at working moments: in an ordinary week, and over Easter,
    /// when Maundy Thursday 2026-04-02 is a working day and Good Friday 3 April to Easter Monday 6 April are not.
    @Test(arguments: [
        (stockholm(2026, 11, 17, 10), stockholm(2026, 12, 1, 0), [
            "2026-11-17 Tue 12:00 draft_reminder #1 → @anna:kommun.se",
            "2026-11-24 Tue 10:00 draft_park #1 → @anna:kommun.se",
        ]),
        (stockholm(2026, 4, 2, 16), stockholm(2026, 4, 20, 0), [
            "2026-04-07 Tue 09:00 draft_reminder #1 → @anna:kommun.se",
            "2026-04-13 Mon 16:00 draft_park #1 → @anna:kommun.se",
        ]),
    ])
    func aDraftIsRemindedOnceThenParked(written: Date, until end: Date, sent: [String]) throws {
        var world = try World()
        try world.draft(1, by: Cast.anna, at: written, runUntil: end)
        #expect(world.sent == sent)
        let outbox = world.outbox
        #expect(outbox.count == 2)
        #expect(outbox.allSatisfy { $0.recipient == Cast.anna && $0.txnID.hasPrefix("nudge.") })
        #expect(testPrompts.says(outbox[0].body.plainText, .nudgeDraftReminder, .sv, [.number: "1"]))
        // Parked: a history line, and no more nudges for that draft.
        let events = try world.store.read { try $0.events(ofIdea: 1) }
        #expect(events.last?.kind == .parked)
    }

    @Test func midsummerGuideFollowupAndEscalation() throws {
        var world = try World()
        // Midsommarafton, Friday 2026-06-19, is off. Idea 1 waits; idea 2 is claimed in time.
        try world.submitted(1, by: Cast.anna, unit: "Socialtjänst", at: stockholm(2026, 6, 17, 15))
        try world.submitted(2, by: Cast.bo, unit: "Socialtjänst", at: stockholm(2026, 6, 17, 15))
        try world.run(from: stockholm(2026, 6, 17, 15), to: stockholm(2026, 6, 22, 12))
        try world.store.write { tx in
            var idea = try tx.idea(number: 2)!
            idea.guide = Cast.karin
            try tx.saveIdea(idea)
            try tx.appendEvent(IdeaEvent(ideaNumber: 2, at: stockholm(2026, 6, 22, 12), actor: Cast.karin, kind: .claimed))
        }
        try world.run(from: stockholm(2026, 6, 22, 12), to: stockholm(2026, 7, 10, 0))
        #expect(world.sent == [
            "2026-06-25 Thu 15:00 guide_followup #1 → @karin:kommun.se",
            "2026-07-02 Thu 15:00 guide_escalation #1 → @ia:kommun.se",
        ])
        // Guides' work reminders are not voluntary: no cap, no opt-out.
        #expect(world.outbox.map(\.recipient) == [Cast.karin, Cast.ia])
    }

    @Test func christmasToNewYearWeeklyCheckinAndTheDailyCap() throws {
        var world = try World()
        try world.person(Cast.anna) { $0.weeklyCheckin = true }
        // A draft on 23 December 16:30 is due on the first working day after Christmas, like the
        // check-in of julafton: the check-in comes first, the reminder is capped.
        try world.run(from: stockholm(2026, 12, 14, 8), to: stockholm(2026, 12, 23, 16, 30))
        try world.draft(1, by: Cast.anna, at: stockholm(2026, 12, 23, 16, 30), runUntil: stockholm(2027, 1, 10, 0))
        #expect(world.all == [
            "2026-12-17 Thu 14:30 weekly_checkin → @anna:kommun.se",
            "2026-12-28 Mon 08:00 weekly_checkin → @anna:kommun.se",
            "2026-12-28 Mon 09:30 draft_reminder #1 → @anna:kommun.se (skipped_cap)",
            // Nyårsafton (Thursday) and New Year's Day are off; so is Epiphany, Wednesday 6 January.
            "2027-01-04 Mon 08:00 weekly_checkin → @anna:kommun.se",
            "2027-01-05 Tue 16:30 draft_park #1 → @anna:kommun.se",
            "2027-01-07 Thu 14:30 weekly_checkin → @anna:kommun.se",
        ])
    }

    @Test func dstWeekendsKeepLocalWorkingHours() throws {
        // Summer time starts Sunday 2026-03-29, ends Sunday 2026-10-25.
        var spring = try World()
        try spring.draft(1, by: Cast.anna, at: stockholm(2026, 3, 27, 16), runUntil: stockholm(2026, 3, 31, 0))
        var autumn = try World()
        try autumn.draft(2, by: Cast.bo, at: stockholm(2026, 10, 23, 16), runUntil: stockholm(2026, 10, 27, 0))
        #expect(spring.sent == ["2026-03-30 Mon 09:00 draft_reminder #1 → @anna:kommun.se"])
        #expect(autumn.sent == ["2026-10-26 Mon 09:00 draft_reminder #2 → @bo:kommun.se"])
        #expect(spring.log.first?.at == Date(timeIntervalSince1970: 1_774_854_000))  // 07:00 UTC (CEST)
        #expect(autumn.log.first?.at == Date(timeIntervalSince1970: 1_793_001_600))  // 08:00 UTC (CET)
    }

    @Test func personalControlsSkipVoluntaryNudges() throws {
        var world = try World()
        try world.person(Cast.anna) { $0.remindersOff = true }
        try world.person(Cast.bo) { $0.pausedUntil = stockholm(2026, 11, 20, 0) }
        try world.draft(1, by: Cast.anna, at: stockholm(2026, 11, 17, 10))
        try world.draft(2, by: Cast.bo, at: stockholm(2026, 11, 17, 10))
        try world.run(from: stockholm(2026, 11, 17, 10), to: stockholm(2026, 11, 30, 0))
        #expect(world.all == [
            "2026-11-17 Tue 12:00 draft_reminder #1 → @anna:kommun.se (skipped_opt_out)",
            "2026-11-17 Tue 12:00 draft_reminder #2 → @bo:kommun.se (skipped_paused)",
            "2026-11-24 Tue 10:00 draft_park #1 → @anna:kommun.se (skipped_opt_out)",
            "2026-11-24 Tue 10:00 draft_park #2 → @bo:kommun.se",
        ])
        #expect(world.outbox.count == 1)
    }

    @Test func submittingCancelsTheReminderAndActivityMovesIt() throws {
        var world = try World()
        try world.draft(1, by: Cast.anna, at: stockholm(2026, 11, 17, 10))
        try world.draft(2, by: Cast.bo, at: stockholm(2026, 11, 17, 10))
        try world.run(from: stockholm(2026, 11, 17, 10), to: stockholm(2026, 11, 17, 11))
        try world.submitted(1, by: Cast.anna, unit: "Skola", at: stockholm(2026, 11, 17, 11))
        // Bo answers a question at 11:30: his reminder moves to 13:30.
        try world.store.write { tx in
            var idea = try tx.idea(number: 2)!
            idea.benefits = "colleagues"
            idea.updatedAt = stockholm(2026, 11, 17, 11, 30)
            try tx.saveIdea(idea)
        }
        try world.run(from: stockholm(2026, 11, 17, 11, 30), to: stockholm(2026, 11, 18, 0))
        #expect(world.sent == ["2026-11-17 Tue 13:30 draft_reminder #2 → @bo:kommun.se"])
        let nudges = try world.store.read { try $0.allNudges() }
        #expect(nudges.first { $0.dedupeKey == "draft_reminder:1" }?.outcome == .cancelled)
    }

    @Test func aNudgeFoundDueAtNightWaitsForTheMorning() throws {
        let world = try World()
        try world.draft(1, by: Cast.anna, at: stockholm(2026, 11, 17, 10))
        try world.scheduler.runOnce(now: stockholm(2026, 11, 17, 10))
        // The process was down from 11:00 until 20:00.
        let night = try world.scheduler.runOnce(now: stockholm(2026, 11, 17, 20))
        #expect(night.log.isEmpty)
        #expect(night.nextDue == stockholm(2026, 11, 18, 8))
        #expect(world.outbox.isEmpty)
        let morning = try world.scheduler.runOnce(now: stockholm(2026, 11, 18, 8))
        #expect(morning.log.map(\.outcome) == [.sent])
    }

    @Test func exactlyOnceAcrossACrashBeforeTheDoneMark() throws {
        let world = try World()
        try world.draft(1, by: Cast.anna, at: stockholm(2026, 11, 17, 10))
        try world.scheduler.runOnce(now: stockholm(2026, 11, 17, 10))
        let due = stockholm(2026, 11, 17, 12)
        let id = try #require(try world.store.read { try $0.pendingNudges() }.first { $0.kind == .draftReminder }?.id)
        // The process dies after writing the outbox entry but before the transaction commits: rolled back.
        struct Crash: Error {}
        #expect(throws: Crash.self) {
            try world.store.write { tx in
                _ = try world.scheduler.handle(id, in: tx, now: due)
                #expect(try tx.outboxEntry(txnID: "nudge.\(id)") != nil)
                throw Crash()
            }
        }
        #expect(world.outbox.isEmpty)
        #expect(try world.store.read { try $0.nudge(id: id) }?.doneAt == nil)
        // The restart's passes send it once, however often they run.
        try world.scheduler.runOnce(now: due)
        try world.scheduler.runOnce(now: due.addingTimeInterval(1))
        try world.scheduler.runOnce(now: due.addingTimeInterval(60))
        #expect(world.outbox.map(\.txnID) == ["nudge.\(id)"])
        // Planning again never makes a second nudge for the same draft.
        #expect(try world.store.read { try $0.allNudges() }.filter { $0.kind == .draftReminder }.count == 1)
    }

    @Test func staleStageGoesToTheAssignedGuide() throws {
        var world = try World()
        let moved = stockholm(2026, 9, 1, 10)
        try world.store.write { tx in
            try tx.saveIdea(
                Idea(number: 1, author: Cast.anna, title: "Idé 1", problem: "Skav", unit: "Socialtjänst", stage: .utvecklas,
                    guide: Cast.karin, createdAt: moved, updatedAt: moved, submittedAt: moved))
            try tx.appendEvent(
                IdeaEvent(ideaNumber: 1, at: moved, actor: Cast.karin, kind: .stage, fromStage: .bedoms, toStage: .utvecklas))
        }
        try world.run(from: moved, to: stockholm(2026, 10, 31, 0))
        // 20 working days after Tuesday 1 September 10:00 (no holidays in between); once per quiet spell.
        #expect(world.sent == [
            "2026-09-29 Tue 10:00 stale_stage #1 → @karin:kommun.se",
        ])
    }

    @Test func weeklyCheckinOptOutCancels() throws {
        var world = try World()
        try world.person(Cast.anna) { $0.weeklyCheckin = true }
        try world.run(from: stockholm(2026, 11, 16, 8), to: stockholm(2026, 11, 18, 8))
        try world.person(Cast.anna) { $0.weeklyCheckin = false }
        try world.run(from: stockholm(2026, 11, 18, 8), to: stockholm(2026, 11, 30, 8))
        #expect(world.all.isEmpty)
        let nudges = try world.store.read { try $0.allNudges() }
        #expect(nudges.map(\.dedupeKey) == ["weekly:@anna:kommun.se:2026-11-19"])
        #expect(nudges.map(\.outcome) == [.cancelled])
    }

    @Test func nudgeConfigKeys() throws {
        let config = try SkavConfig.parse(yaml: """
            nudges:
              draft_reminder_after: 3s
              draft_park_after: 2d
              guide_followup_after: 90m
              guide_escalate_after: 4h
              stale_stage_after: 20d
              weekly_checkin: "fri 09:15"
              max_voluntary_per_day: 2
            """)
        #expect(config.nudges.draftReminderAfter == .working(.seconds(3)))
        #expect(config.nudges.draftParkAfter == .workingDays(2))
        #expect(config.nudges.guideFollowupAfter == .working(.seconds(5400)))
        #expect(config.nudges.guideEscalateAfter == .working(.seconds(14_400)))
        #expect(config.nudges.weeklyCheckin.description == "fri 09:15")
        #expect(config.nudges.maxVoluntaryPerDay == 2)
        #expect(try SkavConfig.parse(yaml: "units: [A]").nudges == NudgeSettings())
        let cases: [(String, String)] = [
            ("nudges:\n  draft_reminder_after: soon", "nudges.draft_reminder_after"),
            ("nudges:\n  draft_park_after: 0d", "nudges.draft_park_after"),
            ("nudges:\n  stale_stage_after: 100ms", "nudges.stale_stage_after"),
            ("nudges:\n  weekly_checkin: torsdag", "nudges.weekly_checkin"),
            ("nudges:\n  weekly_checkin: thu 25:00", "nudges.weekly_checkin"),
            ("nudges:\n  max_voluntary_per_day: 0", "nudges.max_voluntary_per_day"),
            ("nudges:\n  reminders: yes", "nudges.reminders"),
        ]
        for (yaml, key) in cases {
            do {
                _ = try SkavConfig.parse(yaml: yaml)
                Issue.record("\(yaml) was accepted")
            } catch {
                #expect(error.key == key, "\(yaml) → \(error)")
            }
        }
        // The example documents every key.
        let example = try String(
            contentsOf: Repository.path("config/skav.example.yaml"), encoding: .utf8)
        for key in NudgeSettings.spanKeys + ["weekly_checkin", "max_voluntary_per_day"] {
            #expect(example.contains("  \(key):"), "\(key)")
        }
        #expect(try SkavConfig.load(file: Repository.path("config/skav.example.yaml").path).nudges
            == NudgeSettings())
    }

    @Test func secondsScaleConfigNudgesInSeconds() throws {
        var world = try World(yaml: """
            calendar:
              working_hours: "00:00-24:00"
              working_days: [mon, tue, wed, thu, fri, sat, sun]
              public_holidays: none
            nudges:
              draft_reminder_after: 3s
              draft_park_after: 30s
            """)
        let t0 = stockholm(2026, 12, 24, 23, 59)
        try world.draft(1, by: Cast.anna, at: t0, runUntil: t0.addingTimeInterval(60))
        #expect(world.log.map(\.at) == [t0.addingTimeInterval(3), t0.addingTimeInterval(30)])
        #expect(world.log.map(\.outcome) == [.sent, .skippedCap])
        #expect(world.scheduler.tick == .seconds(1))
    }
}

@Suite struct NudgeSimulationTests {
    @Test func aSimulatedMonthNamesWhoGetsWhatAndWhen() throws {
        let report = try NudgeSimulation.report(
            config: try SkavConfig.parse(yaml: "units: [A]"), start: CivilDate(iso: "2026-12-07")!, days: 30)
        let expected = [
            "2026-12-07 mon 11:10  → @anna:kommun.se  draft_reminder #2",
            "2026-12-14 mon 08:00  → @bo:kommun.se  draft_reminder #6  (skipped_opt_out)",
            "2026-12-15 tue 13:00  → @olle:kommun.se  guide_followup #4",
            "2026-12-16 wed 09:00  → @david:kommun.se  draft_reminder #7  (skipped_paused)",
            "2026-12-22 tue 13:00  → @ia:kommun.se  guide_escalation #4",
            "2026-12-28 mon 08:00  → @anna:kommun.se  weekly_checkin",
        ]
        for line in expected { #expect(report.contains(line), "\(line)") }
        #expect(report.contains("draft reminder after 2h"))
    }
}

@Suite struct NudgeServiceTests {
    /// A scheduler waiting for the ready gate (never opened); `pauses` counts the waits it has begun.
    func waitingScheduler(pauses: Counter) throws -> NudgeScheduler {
        let config = try SkavConfig.parse(yaml: "units: [A]")
        return NudgeScheduler(
            store: try IntakeStore(), planner: SkavApp.nudgePlanner(config), prompts: testPrompts,
            defaultLanguage: .sv, ready: ReadyGate(), logger: quietLogger,
            sleep: { duration in
                pauses.increment()
                try await Task.sleep(for: duration)
            })
    }

    @Test func cancellingTheServiceEndsItWithoutAnError() async throws {
        let pauses = Counter()
        let scheduler = try waitingScheduler(pauses: pauses)
        let task = Task { try await scheduler.run() }
        try await waitUntil("the scheduler is running") { pauses.count >= 1 }
        task.cancel()
        try await task.value
    }

    @Test func aGracefulShutdownEndsItWithoutAnError() async throws {
        let pauses = Counter()
        let scheduler = try waitingScheduler(pauses: pauses)
        try await runThenShutDownGracefully(scheduler) {
            try await waitUntil("the scheduler is running") { pauses.count >= 1 }
        }
    }
}

/// Challenge deadline reminders (SkavBot.docc/Nudges.md): halfway and two working days before the last day, to the people
/// who opted in and have not sent an idea to the challenge yet; closing the challenge cancels what is pending.
@Suite struct ChallengeReminderTests {
    func open(_ world: NudgeSchedulerTests.World, deadline: String, at date: Date) throws {
        try world.store.write { tx in
            try tx.saveCampaign(
                Campaign(
                    number: 1, title: "Mindre papper", question: "Vad tar onödigt mycket tid?",
                    deadline: CivilDate(iso: deadline)!, openedBy: Cast.ia, openedAt: date))
        }
    }

    @Test func halfwayAndTwoWorkingDaysBeforeToFollowersWhoHaveNotAnswered() throws {
        var world = try NudgeSchedulerTests.World()
        for user in [Cast.anna, Cast.bo, Cast.karin] {
            try world.person(user) { $0.challengeUpdates = user != Cast.karin }
        }
        try open(world, deadline: "2026-12-18", at: stockholm(2026, 11, 30, 10))
        // Bo sends an idea to the challenge on the first day: no reminders for him.
        try world.store.write { tx in
            var idea = Idea(
                number: 1, author: Cast.bo, title: "Blanketter", problem: "Blanketter", unit: "Skola", stage: .inkommen,
                createdAt: stockholm(2026, 11, 30, 11), updatedAt: stockholm(2026, 11, 30, 11),
                submittedAt: stockholm(2026, 11, 30, 11))
            idea.campaign = 1
            idea.guide = Cast.karin
            try tx.saveIdea(idea)
        }
        try world.run(from: stockholm(2026, 11, 30, 10), to: stockholm(2026, 12, 20, 12))
        // The middle of 30 Nov 10:00 – 19 Dec 00:00 is Wed 9 Dec 17:00, after working hours: Thursday morning.
        #expect(
            world.sent == [
                "2026-12-10 Thu 08:00 challenge_halfway → @anna:kommun.se",
                "2026-12-16 Wed 08:00 challenge_deadline → @anna:kommun.se",
            ])
        // The message names the challenge and can be answered.
        let entries = try world.store.read { try $0.allOutbox() }.filter { $0.recipient == Cast.anna }
        #expect(entries.count == 2)
        #expect(testPrompts.says(entries[1].body.plainText, .nudgeChallengeDeadline, .sv, [.title: "Mindre papper"]))
        #expect(try world.store.read { tx in try tx.campaign(announcedBy: "") } == nil)
        let posts = try world.store.read { tx in
            try Int.fetchAll(tx.db, sql: "SELECT campaign_number FROM campaign_post WHERE txn_id LIKE 'nudge.%'")
        }
        #expect(posts == [1, 1])
    }

    @Test func christmasMovesTheDeadlineReminderBeforeTheHolidays() throws {
        var world = try NudgeSchedulerTests.World()
        try world.person(Cast.anna) { $0.challengeUpdates = true }
        // Last day Monday 28 Dec: two working days before skips the weekend, juldagen and julafton.
        try open(world, deadline: "2026-12-28", at: stockholm(2026, 12, 14, 9))
        try world.run(from: stockholm(2026, 12, 14, 9), to: stockholm(2026, 12, 29, 12))
        #expect(world.sent.last == "2026-12-22 Tue 08:00 challenge_deadline → @anna:kommun.se")
        #expect(world.sent.count == 2)
    }

    @Test func closingOrOptingOutCancelsPendingReminders() throws {
        var world = try NudgeSchedulerTests.World()
        for user in [Cast.anna, Cast.bo] { try world.person(user) { $0.challengeUpdates = true } }
        try open(world, deadline: "2026-12-18", at: stockholm(2026, 11, 30, 10))
        try world.run(from: stockholm(2026, 11, 30, 10), to: stockholm(2026, 12, 1, 10))
        try world.person(Cast.bo) { $0.challengeUpdates = false }
        try world.store.write { tx in
            var campaign = try tx.campaign(number: 1)!
            campaign.closedAt = stockholm(2026, 12, 2, 9)
            try tx.saveCampaign(campaign)
        }
        try world.run(from: stockholm(2026, 12, 2, 9), to: stockholm(2026, 12, 20, 12))
        #expect(world.sent.isEmpty)
        let outcomes = try world.store.read { try $0.allNudges() }.map(\.outcome)
        #expect(outcomes == Array(repeating: .cancelled, count: 4))
    }

    @Test func aShortChallengeGetsNoReminderBeforeItOpened() throws {
        let planner = SkavApp.nudgePlanner(try SkavConfig.parse(yaml: Cast.rolesYAML()))
        let campaign = Campaign(
            number: 3, title: "Snabb", question: "?", deadline: CivilDate(iso: "2026-12-02")!, openedBy: "@ia:kommun.se",
            openedAt: stockholm(2026, 12, 1, 9))
        let planned = planner.challengeReminders(for: campaign, recipient: Cast.anna)
        #expect(planned.map(\.kind) == [.challengeHalfway])
        #expect(planned.allSatisfy { $0.dueAt > campaign.openedAt })
    }
}
