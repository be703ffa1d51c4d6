import Chat
@testable import CrashGuard
import Foundation
import Intake
import SkavTesting
import Testing
import Prompts
import Store

@testable import SkavBot

/// The poison-message quarantine: input that took the process down twice is set aside, once, with one
/// apology; everything else goes on as usual.
@Suite struct QuarantineTests {
    let start = EngineHarness.start

    func message(_ id: String, _ text: String, from user: UserID, in room: RoomID) -> ChatEvent {
        ChatEvent(id: id, room: room, sender: user, kind: .message(text: text), timestamp: start)
    }

    /// Anna and Bo both have a direct chat with the bot.
    func harness() throws -> EngineHarness {
        let h = try BotEngineTests().harness()
        let invites = [
            ChatEvent(id: "$i1", room: Cast.annaRoom, sender: Cast.anna, kind: .invite(isDirect: true, encrypted: false), timestamp: start),
            ChatEvent(id: "$i2", room: Cast.boRoom, sender: Cast.bo, kind: .invite(isDirect: true, encrypted: false), timestamp: start),
        ]
        try h.engine.process(ChatBatch(events: invites, cursor: "s0"), now: start)
        return h
    }

    func apology(_ h: EngineHarness) -> String {
        testPrompts.text(.botQuarantined, .sv).plainText
    }

    /// Anna's message, which took the process down twice, arrives again (batch `s1`) and is set aside.
    @discardableResult
    func setAside(_ poison: ChatEvent, _ h: EngineHarness) throws -> ChatEvent {
        try h.engine.recordCrash(InFlight(.event, poison.id), now: start)
        try h.engine.recordCrash(InFlight(.event, poison.id), now: start)
        try h.engine.process(ChatBatch(events: [poison], cursor: "s1"), now: start)
        return poison
    }

    /// Before every poll one statement says whether anything in quarantine may need the loop (a suspect, or
    /// one put back); only then are the candidates and retries read.
    @Test func thePollStateAsksTheQuarantineOnlyWhenSomethingInItIsActive() throws {
        let h = try harness()
        func state() throws -> (String?, Bool) { try h.store.read { try $0.valueAndQuarantineActivity(h.engine.settings.cursorKey) } }
        #expect(try state() == ("s0", false))
        try h.engine.recordCrash(InFlight(.event, "$m1"), now: start)
        #expect(try state() == ("s0", true), "a suspect")
        try h.store.write { _ = try $0.hold("$m1", room: nil, at: start) }
        #expect(try state() == ("s0", false), "set aside: nothing for the loop")
        #expect(try h.store.write { try $0.requestRetry("$m1") })
        #expect(try state() == ("s0", true), "put back")
        #expect(try h.store.read { try $0.valueAndQuarantineActivity("no such key") } == (nil, true))
    }

    @Test func anEventThatDiedOnceIsHandledAsUsualAndForgiven() async throws {
        let h = try harness()
        try h.engine.recordCrash(InFlight(.event, "$m1"), now: start)
        let outcome = try h.engine.process(
            ChatBatch(events: [message("$m1", "Skrivaren är trasig", from: Cast.anna, in: Cast.annaRoom)], cursor: "s1"), now: start)
        #expect(outcome.handled == 1)
        #expect(outcome.quarantined == 0)
        #expect(try await h.store.read { try $0.quarantineEntry("$m1") } == nil, "one death is not enough: it was handled")
        #expect(try await h.store.read { try $0.idea(number: 1) } != nil)
    }

    @Test func anEventThatDiedTwiceIsSetAsideWithOneApologyAndTheRestOfTheBatchIsHandled() async throws {
        let h = try harness()
        try h.engine.recordCrash(InFlight(.event, "$poison"), now: start)
        try h.engine.recordCrash(InFlight(.event, "$poison"), now: start.addingTimeInterval(5))
        try await h.sender().drain()
        let before = h.chat.sent.count  // whatever joining the rooms said
        let batch = ChatBatch(
            events: [
                message("$poison", "anna@kommun.se@x.se", from: Cast.anna, in: Cast.annaRoom),
                message("$bo1", "Nycklarna kvitteras på papper", from: Cast.bo, in: Cast.boRoom),
            ], cursor: "s1")
        let outcome = try h.engine.process(batch, now: start.addingTimeInterval(10))
        #expect(outcome.quarantined == 1)
        #expect(outcome.handled == 1, "Bo's message is handled as usual")
        #expect(try h.engine.cursor() == "s1", "the cursor moves past the poison")
        try await h.sender().drain()
        let toAnna = h.chat.sent.dropFirst(before).filter { $0.room == Cast.annaRoom }.map(\.body.plainText)
        #expect(toAnna == [apology(h)], "Anna gets the apology and nothing else")
        #expect(h.chat.sent.contains { $0.room == Cast.boRoom })
        let ideas = try await h.store.read { try $0.ideas(author: Cast.anna) }
        #expect(ideas.isEmpty, "the poison was never handled")

        let held = try await h.store.read { try $0.quarantined() }
        #expect(held.count == 1)
        #expect(held.first?.key == "$poison")
        #expect(held.first?.roomID == Cast.annaRoom)
        #expect(held.first?.status == .held)
        #expect(held.first?.deaths == 2)

        // The server delivers the batch again (a restart before the next cursor was used): no second apology.
        let again = try h.engine.process(batch, now: start.addingTimeInterval(20))
        #expect(again.duplicates == 2)
        try await h.sender().drain()
        #expect(h.chat.sent.dropFirst(before).filter { $0.room == Cast.annaRoom }.count == 1)
    }

    @Test func aRetriedEventIsHandledAgainAndLeavesTheQuarantine() async throws {
        let h = try harness()
        let poison = try setAside(message("$poison", "Blanketten skrivs ut och skannas in igen", from: Cast.anna, in: Cast.annaRoom), h)
        #expect(try await h.store.write { try $0.requestRetry("$poison") })
        #expect(try await h.store.write { try $0.requestRetry("$unknown") } == false)

        h.chat.state.withLock { $0.stored[poison.id] = poison }
        let sync = SyncService(chat: h.chat, engine: h.engine, wake: WakeSignal(), logger: quietLogger, now: { start })
        try await sync.retryQuarantined()
        #expect(try await h.store.read { try $0.quarantineEntry("$poison") } == nil)
        let ideas = try await h.store.read { try $0.ideas(author: Cast.anna) }
        #expect(ideas.count == 1, "handled this time")
        #expect(try h.engine.cursor() == "s1", "a retry does not move the cursor")
    }

    @Test func aRetryThatCannotBeFetchedStaysSetAside() async throws {
        let h = try harness()
        try setAside(message("$gone", "text", from: Cast.anna, in: Cast.annaRoom), h)
        #expect(try await h.store.write { try $0.requestRetry("$gone") })
        let sync = SyncService(chat: h.chat, engine: h.engine, wake: WakeSignal(), logger: quietLogger, now: { start })
        try await sync.retryQuarantined()
        #expect(try await h.store.read { try $0.quarantineEntry("$gone") }?.status == .held)
    }

    @Test func aChangeFeedAnswerThatDiedTwiceIsSkippedAndRecorded() async throws {
        let h = try harness()
        let sync = SyncService(chat: h.chat, engine: h.engine, wake: WakeSignal(), logger: quietLogger, now: { start })
        #expect(try await sync.skipPoisonedAnswer(cursor: "s0") == false, "nothing died: no skip")
        try h.engine.recordCrash(InFlight.sync(cursor: "s0"), now: start)
        #expect(try await sync.skipPoisonedAnswer(cursor: "s0") == false, "one death: read it again")
        try h.engine.recordCrash(InFlight.sync(cursor: "s0"), now: start)
        #expect(try await sync.skipPoisonedAnswer(cursor: "s0"))
        #expect(h.chat.state.withLock { $0.skipped } == ["s0"])
        #expect(try h.engine.cursor() == "past-s0")
        let held = try await h.store.read { try $0.quarantined() }
        #expect(held.map(\.key) == [InFlight.sync(cursor: "s0").key])
        #expect(try await sync.skipPoisonedAnswer(cursor: "past-s0") == false)
    }

    @Test func theBreadcrumbNamesWhatWasInFlightOnlyWhenItsThreadDied() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("skav-guard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = CrashGuard.path(forDatabase: folder.appendingPathComponent("skav.sqlite").path)
        try CrashGuard.install(path: path)
        defer { CrashGuard.clear() }

        // Handled without a crash: the file names it, but without a crash mark it means nothing.
        CrashGuard.watch(InFlight(.event, "$fine")) {}
        #expect(CrashGuard.lastCrash(path: path) == nil)
        // A death outside any watched input (a SIGKILL, another thread's bug) is nobody's fault.
        CrashGuard.simulateCrash()
        #expect(CrashGuard.lastCrash(path: path) == nil)
        // A shorter record after a longer one: the older record's tail does not confuse the reader.
        CrashGuard.watch(InFlight(.event, "$a-much-longer-event-id-than-the-next-one")) {}
        CrashGuard.watch(InFlight(.event, "$short")) { CrashGuard.simulateCrash() }
        #expect(CrashGuard.lastCrash(path: path) == InFlight(.event, "$short"))
        // A key with a line break survives the round trip.
        let odd = InFlight(.event, "$odd\nid%0A")
        CrashGuard.watch(odd) { CrashGuard.simulateCrash() }
        #expect(CrashGuard.lastCrash(path: path) == odd)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        CrashGuard.clear()
        #expect(CrashGuard.lastCrash(path: path) == nil)
        // The input the file holds already (a sync answer watched at each of its steps) is not written again;
        // one that another record came between, or the emptied file, is.
        let sync = InFlight.sync(cursor: "s_2")
        CrashGuard.watch(sync) {}
        CrashGuard.watch(InFlight(.event, "$between")) {}
        CrashGuard.watch(sync) {}
        CrashGuard.watch(sync) { CrashGuard.simulateCrash() }
        #expect(CrashGuard.lastCrash(path: path) == sync)
        CrashGuard.clear()
        CrashGuard.watch(sync) {}
        CrashGuard.clear()
        CrashGuard.watch(sync) { CrashGuard.simulateCrash() }
        #expect(CrashGuard.lastCrash(path: path) == sync, "written again after the file was emptied")
        CrashGuard.clear()

        #expect(InFlight.sync(cursor: "s_1").syncCursor == "s_1")
        #expect(InFlight.sync(cursor: nil).syncCursor == nil)
    }
}

/// The breadcrumb's line: any key, line breaks and percent signs included, reads back as it was written.
@Suite struct InFlightLineTests {
    @Test func anyKeyReadsBackFromItsLine() {
        let pieces = ["$ev", "%", "%0A", "%25", "\n", "\r", "\r\n", "å", "🧑‍🍳", " ", "sync:", "e\u{301}", "!room:kommun.se"]
        var generator = SplitMix64(seed: 5)
        for _ in 0..<5_000 {
            let key = (0..<Int(1 + generator.next() % 8)).map { _ in pieces[Int(generator.next() % UInt64(pieces.count))] }.joined()
            for kind in [InFlight.Kind.event, .sync] {
                let inFlight = InFlight(kind, key)
                let line = inFlight.encoded
                #expect(!line.utf8.contains(0x0A) && !line.utf8.contains(0x0D))
                #expect(InFlight(encoded: Substring(line)) == inFlight, "\(key.debugDescription)")
            }
        }
        #expect(InFlight(.event, "$plain:kommun.se").encoded == "event $plain:kommun.se")
        #expect(InFlight(.event, "a%b\nc\rd").encoded == "event a%25b%0Ac%0Dd")
    }
}
