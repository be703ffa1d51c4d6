import Chat
import Conversation
import Foundation
import GRDB
import Intake
import Logging
import Synchronization
import SkavTesting
import Testing
import Prompts
@testable import Store

@testable import SkavBot
import Configuration

/// What stays behind in the database and the logs (issue 11.4 and 11.5): a sent message's text goes when
/// it is sent, and after `glöm mig` the person's raw id is in no table, no body and no later log line.
@Suite struct OutboxTracesTests {
    let start = EngineHarness.start

    /// The bot of these tests, on a database file, with the roles of `PipelineBotTests.rolesYAML`, logging to `log`.
    func harness(logging log: LogRecorder) throws -> EngineHarness {
        let config = try SkavConfig.parse(yaml: PipelineBotTests.rolesYAML)
        return try EngineHarness(SkavApp.conversationConfig(config), onDisk: true, logger: log.logger)
    }

    @Test func aCancelledDraftsSummaryIsNotKeptInTheOutbox() async throws {
        let log = LogRecorder(label: "test.traces")
        let h = try harness(logging: log)
        let room = Cast.annaRoom
        let text = "Hissen i stadshuset står still varje måndag morgon"
        for message in [text, "hoppa", "hoppa"] {
            try h.say([message], from: Cast.anna, in: room, at: start)
            try await h.drain()
        }
        #expect(h.chat.sentTexts.contains { $0.contains(text) }, "the summary card showed the draft")
        try h.say(["avbryt"], from: Cast.anna, in: room, at: start)
        try await h.drain()
        #expect(try await h.store.read { try $0.idea(number: 1) } == nil)
        let dump = try h.tableDump()
        #expect(!dump.contains("stadshuset"), "the cancelled draft's text is still stored")
        // The hourly retention run empties the write-ahead log: then no old page copy holds it either.
        try h.engine.applyRetention(.seconds(90 * 86_400), now: start.addingTimeInterval(60))
        #expect(!h.bytesOnDisk().contains("stadshuset"))
    }

    @Test func afterForgetMeTheRawIdIsInNoTableNoBodyAndNoLaterLogLine() async throws {
        let log = LogRecorder(label: "test.traces")
        let h = try harness(logging: log)
        let person = UserID("@a/b:kommun.se")
        let forms = [person.rawValue, "@a\\/b:kommun.se", "a/b:kommun.se", "a\\/b:kommun.se", "@a\\\\/b:kommun.se"]
        let room = RoomID("!dm-ab:kommun.se")
        let karinRoom = Cast.directRoom(of: Cast.karin)
        // Idea #1 (Socialtjänst: Karin is told), a draft #2, all delivered.
        try h.say(["Tolkbokningen tar en vecka", "hoppa", "hoppa", "skicka", "1", "Skrivaren på plan 3 är trasig"],
            from: person, in: room, at: start)
        try await h.drain()
        #expect(try h.tableDump().contains(person.rawValue) || (try h.tableDump()).contains("@a\\/b:kommun.se"))

        // Waiting when she asks to be forgotten: Karin's card of #1 (it names the idea-giver), Karin's
        // answer to her, a notice to her whose room is not resolved yet, and her own data as messages.
        try h.say(["idé 1", "svara 1 Vi ringer dig i morgon"], from: Cast.karin, in: karinRoom, at: start)
        _ = try await h.store.write { tx in
            try tx.enqueue(
                OutboxEntry(txnID: "pending-dm", roomID: nil, recipient: person, body: "Hej igen", createdAt: start))
        }
        try h.say(["mina data"], from: person, in: room, at: start)
        let waiting = try h.tableDump()
        #expect(forms.contains { waiting.contains($0) }, "the waiting messages hold her id before")
        #expect(waiting.contains("@a\\/b:kommun.se"), "stored JSON escapes the slash")

        let logsBefore = log.all.count
        try h.say(["glöm mig", "ja, glöm mig"], from: person, in: room, at: start.addingTimeInterval(60))
        var dump = try h.tableDump()
        for form in forms { #expect(!dump.contains(form), "\(form) is stored after glöm mig") }

        try await h.drain()
        #expect(!h.chat.state.withLock { $0.opened }.contains(person), "no new direct chat for a forgotten person")
        let sentToKarin = h.chat.sent.filter { $0.room == karinRoom }.map(\.body.plainText).joined(separator: "\n")
        #expect(sentToKarin.contains(testPrompts.plain(.pipelineDetailAuthor, .sv, [.user: "anonym-"])), "the waiting card names the pseudonym")
        #expect(h.chat.sent.contains { $0.room == room && $0.body.plainText.contains("Vi ringer dig") })
        #expect(h.chat.sent.contains { $0.room == room && $0.body.plainText == "Hej igen" })
        dump = try h.tableDump()
        for form in forms { #expect(!dump.contains(form), "\(form) is stored after delivery") }
        // The batch with `glöm mig` is followed by a checkpoint: no old page copy in the log holds the id.
        #expect(try h.engine.checkpointAfterForget())
        #expect(try !h.engine.checkpointAfterForget(), "once per forget")
        let disk = h.bytesOnDisk()
        for form in forms { #expect(!disk.contains(form), "\(form) is on disk") }
        let later = log.all.dropFirst(logsBefore).joined(separator: "\n")
        for form in forms { #expect(!later.contains(form), "\(form) is in a log line: \(later)") }
    }
}

extension EngineHarness {
    /// Every value of every table (FTS shadow tables included), as text.
    func tableDump() throws -> String {
        try store.read { tx in
            var text = ""
            let tables = try String.fetchAll(tx.db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
            for table in tables {
                for row in try Row.fetchAll(tx.db, sql: "SELECT * FROM \"\(table)\"") {
                    for (column, value) in row {
                        let shown: String
                        switch value.storage {
                        case .blob(let data): shown = String(decoding: data, as: UTF8.self)
                        case .string(let string): shown = string
                        default: shown = "\(value)"
                        }
                        text += "\(table).\(column)=\(shown)\n"
                    }
                }
            }
            return text
        }
    }
}
