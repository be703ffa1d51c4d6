import Chat
import Synchronization
import Conversation
import Foundation
import Intake
import SkavTesting
import Testing
import Prompts
import Store

@testable import SkavBot
import Configuration

/// Scheduled digests (SkavBot.docc/Digests.md): on the working calendar, each period exactly once, across restarts.
@Suite struct DigestDeliveryTests {
    static let room = RoomID("!coordinators:kommun.se")
    static let yaml = """
        units: [Socialtjänst, Skola]
        roles:
          coordinators: ["@ia:kommun.se", "@jan:kommun.se"]
          guides:
            - user: "@karin:kommun.se"
              units: [Socialtjänst]
            - user: "@olle:kommun.se"
              units: [Skola]
        """

    /// A scheduler whose digest builder records the periods it was asked for.
    final class World: Sendable {
        let store: IntakeStore
        let config: SkavConfig
        let periods = Recorder()

        init(schedule: String = "mon 09:00", room: RoomID? = DigestDeliveryTests.room, store: IntakeStore? = nil) throws {
            config = try SkavConfig.parse(yaml: DigestDeliveryTests.yaml + "\ndigest:\n  schedule: \"\(schedule)\"\n  guides: true\n")
            self.store = try store ?? IntakeStore()
            _ = room
        }

        func scheduler(room: RoomID? = DigestDeliveryTests.room) -> NudgeScheduler {
            let periods = self.periods
            let delivery = DigestDelivery(
                schedule: config.digest.schedule, coordinatorsRoom: room, coordinators: config.roles.coordinators,
                guides: config.roles.guides.map(\.user),
                build: { _, since, until in
                    periods.append("\(WorldFormat.local(since)) – \(WorldFormat.local(until))")
                    return [RichText(plain: "Sammanfattning del 1"), RichText(plain: "del 2")]
                },
                buildGuide: { _, guide, _, _ in
                    guide == "@karin:kommun.se" ? [RichText(plain: "Din inkorg")] : []
                })
            return NudgeScheduler(
                store: store, planner: SkavApp.nudgePlanner(config), prompts: testPrompts, defaultLanguage: .sv,
                logger: quietLogger, digests: delivery)
        }

        /// Runs passes every `step` from `from` to `to`; returns the digest keys sent, with the local time.
        func run(_ scheduler: NudgeScheduler, from: Date, to: Date, step: TimeInterval = 600) throws -> [String] {
            var sent: [String] = []
            var now = from
            while now <= to {
                sent += try scheduler.runOnce(now: now).digests.map { "\(WorldFormat.local(now)) \($0)" }
                now = now.addingTimeInterval(step)
            }
            return sent
        }
    }

    final class Recorder: Sendable {
        private let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    enum WorldFormat {
        static func local(_ date: Date) -> String {
            let formatter = DateFormatter()
            formatter.timeZone = WorkingCalendar.stockholm
            formatter.dateFormat = "yyyy-MM-dd EEE HH:mm"
            formatter.locale = Locale(identifier: "en_US_POSIX")
            return formatter.string(from: date)
        }
    }

    @Test func weeklyOnMondayMorningOncePerWeekAndEasterMondayWaitsForTuesday() throws {
        let world = try World()
        let sent = try world.run(world.scheduler(), from: stockholm(2026, 3, 30, 7), to: stockholm(2026, 4, 14, 12))
        #expect(
            sent.filter { $0.contains("coordinators:") } == [
                "2026-03-30 Mon 09:00 coordinators:2026-03-30",
                // Easter Monday 6 April is a holiday: the digest comes at the next working moment.
                "2026-04-07 Tue 08:00 coordinators:2026-04-06",
                "2026-04-13 Mon 09:00 coordinators:2026-04-13",
            ])
        // Each period starts where the last one ended; the first covers the week before.
        #expect(
            world.periods.all == [
                "2026-03-23 Mon 09:00 – 2026-03-30 Mon 09:00",
                "2026-03-30 Mon 09:00 – 2026-04-07 Tue 08:00",
                "2026-04-07 Tue 08:00 – 2026-04-13 Mon 09:00",
            ])
        let outbox = try world.store.read { try $0.allOutbox() }.filter { $0.roomID == Self.room }
        #expect(outbox.count == 6, "two parts each")
        #expect(outbox.allSatisfy { $0.style == .notice })
        #expect(Set(outbox.map(\.txnID)).count == 6)
    }

    @Test func exactlyOnceAcrossARestart() throws {
        let world = try World()
        let first = try world.run(world.scheduler(), from: stockholm(2026, 3, 30, 9), to: stockholm(2026, 3, 30, 9))
        // A new scheduler on the same database: the period is done.
        let again = try world.run(world.scheduler(), from: stockholm(2026, 3, 30, 9, 1), to: stockholm(2026, 3, 31, 12))
        #expect(first.filter { $0.contains("coordinators:") }.count == 1)
        #expect(again.filter { $0.contains("coordinators:") }.isEmpty)
        #expect(try world.store.read { try $0.allOutbox() }.filter { $0.roomID == Self.room }.count == 2)
    }

    @Test func dailyOnWorkingDaysOnlyMondayCoversTheWeekend() throws {
        let world = try World(schedule: "daily 08:30")
        let sent = try world.run(world.scheduler(), from: stockholm(2026, 6, 18, 8), to: stockholm(2026, 6, 23, 9))
        #expect(
            sent.filter { $0.contains("coordinators:") } == [
                "2026-06-18 Thu 08:30 coordinators:2026-06-18",
                // Friday 19 June is midsommarafton: no digest; Monday's covers Thursday to Monday.
                "2026-06-22 Mon 08:30 coordinators:2026-06-22",
                "2026-06-23 Tue 08:30 coordinators:2026-06-23",
            ])
        #expect(world.periods.all[1] == "2026-06-18 Thu 08:30 – 2026-06-22 Mon 08:30")
    }

    @Test func withoutARoomEachCoordinatorGetsItDirectly() throws {
        let world = try World()
        _ = try world.run(world.scheduler(room: nil), from: stockholm(2026, 3, 30, 9), to: stockholm(2026, 3, 30, 9))
        let outbox = try world.store.read { try $0.allOutbox() }.filter { $0.txnID.hasPrefix("digest.") && $0.body.plainText.hasPrefix("Sammanfattning") || $0.body.plainText == "del 2" }
        #expect(outbox.compactMap(\.recipient) == ["@ia:kommun.se", "@jan:kommun.se", "@ia:kommun.se", "@jan:kommun.se"])
    }

    @Test func guidesGetTheirWeeklyInboxOnlyWhenThereIsSomething() throws {
        let world = try World(schedule: "daily 08:30")
        _ = try world.run(world.scheduler(), from: stockholm(2026, 3, 30, 8), to: stockholm(2026, 4, 2, 12))
        let guideEntries = try world.store.read { try $0.allOutbox() }.filter { $0.txnID.hasPrefix("digest.") && $0.body.plainText == "Din inkorg" }
        // Mondays at the daily time; Olle's inbox is empty, so he gets nothing.
        #expect(guideEntries.map(\.recipient) == ["@karin:kommun.se"])
        #expect(guideEntries.first?.body.plainText == "Din inkorg")
        #expect(try world.store.read { try $0.digestSent(key: "guide:@olle:kommun.se:2026-03-30") })
    }

    @Test func transactionIdsOfSimilarUserIdsDoNotCollide() {
        #expect(TxnID.stableID("@anna.berg:kommun.se") != TxnID.stableID("@anna_berg:kommun.se"))
        #expect(TxnID.stableID("coordinators:2026-03-30") == TxnID.stableID("coordinators:2026-03-30"))
        #expect(TxnID.stableID("x").count == 16)
    }

    @Test func offSendsNothing() throws {
        let world = try World(schedule: "off")
        let sent = try world.run(world.scheduler(), from: stockholm(2026, 3, 30, 7), to: stockholm(2026, 4, 6, 12), step: 3600)
        #expect(sent.filter { $0.contains("coordinators:") }.isEmpty)
    }

    @Test func everyIntervalForTrials() throws {
        let world = try World(schedule: "every 30s")
        let scheduler = world.scheduler()
        #expect(scheduler.tick <= .seconds(8))
        let start = stockholm(2026, 3, 31, 10)
        var keys: [String] = []
        for offset in stride(from: 0.0, through: 95, by: 5) {
            keys += try scheduler.runOnce(now: start.addingTimeInterval(offset)).digests.filter { $0.hasPrefix("coordinators:") }
        }
        #expect(keys.count == 4, "\(keys)")  // the slot at the start, then one every 30 s
    }

    @Test(arguments: [
        ("mon 09:00", "mon 09:00"), ("daily 08:30", "daily 08:30"), ("every 90s", "every 90s"), ("off", "off"),
        ("FRI 15:00", "fri 15:00"),
    ])
    func scheduleConfig(_ text: String, _ described: String) throws {
        let config = try SkavConfig.parse(yaml: "digest:\n  schedule: \"\(text)\"\n")
        #expect(config.digest.schedule.description == described)
    }

    @Test(arguments: ["monday 09:00", "daily", "every 5s", "every 2", "mon 25:00", "weekly", ""])
    func badSchedulesAreRefusedByName(_ text: String) throws {
        #expect(throws: ConfigError.self) { try SkavConfig.parse(yaml: "digest:\n  schedule: \"\(text)\"\n") }
        do {
            _ = try SkavConfig.parse(yaml: "digest:\n  schedule: \"\(text)\"\n")
        } catch {
            #expect(error.key == "digest.schedule")
        }
    }

    @Test func roomsMustBeRoomIds() throws {
        let base = """
            chat: {kind: matrix}
            matrix:
              homeserver: https://matrix.kommun.se
              user_id: "@skav:kommun.se"

            """
        let good = try SkavConfig.parse(
            yaml: base + "  coordinators_room: \"!abc:kommun.se\"\n  shared_room: \"!def:kommun.se\"\n")
        #expect(good.matrix?.coordinatorsRoom == "!abc:kommun.se")
        #expect(good.matrix?.sharedRoom == "!def:kommun.se")
        // Room version 12 ids have no server part.
        #expect(try SkavConfig.parse(yaml: base + "  shared_room: \"!Ab3Cd9EfGh\"\n").matrix?.sharedRoom == "!Ab3Cd9EfGh")
        for bad in ["#samordnare:kommun.se", "abc", "!", "!a b:kommun.se"] {
            do {
                _ = try SkavConfig.parse(yaml: base + "  coordinators_room: \"\(bad)\"\n")
                Issue.record("accepted \(bad)")
            } catch {
                #expect(error.key == "matrix.coordinators_room")
                #expect(error.description.contains("room id"))
            }
        }
        do {
            _ = try SkavConfig.parse(yaml: base + "  coordinators_room: \"!abc:kommun.se\"\n  shared_room: \"!abc:kommun.se\"\n")
            Issue.record("accepted the same room twice")
        } catch {
            #expect(error.key == "matrix.shared_room")
        }
        #expect(try SkavConfig.parse(yaml: "digest:\n  guides: true\n").digest.guides)
        #expect(throws: ConfigError.self) { try SkavConfig.parse(yaml: "digest:\n  guides: kanske\n") }
        #expect(throws: ConfigError.self) { try SkavConfig.parse(yaml: "digest:\n  when: mon\n") }
    }
}
