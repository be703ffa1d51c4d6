import Foundation
import GRDB
import Testing

import Chat
import Intake
import Prompts
@testable import Store

/// The person, the draft and the challenges are read by column position (`DirectStatement`, `Person(values:)`,
/// `Idea(values:)`): what is written reads back the same, through the hot reads and through GRDB's `Row`,
/// and a value of the wrong kind is an error, never a trap.
@Suite struct PositionalReadTests {
    static func date(_ generator: inout SplitMix64) -> Date {
        // Whole milliseconds: what the store keeps.
        Date(timeIntervalSince1970: Double(generator.next() % 4_000_000_000_000) / 1000)
    }

    static func maybe<T>(_ generator: inout SplitMix64, _ value: T) -> T? { generator.next() % 2 == 0 ? value : nil }

    /// The reading by column name the positional one replaced (GRDB's `Row.decode`).
    static func personByName(_ row: Row) throws -> Person {
        let language: Language? = try (row.decode(String?.self, forColumn: "language")).map {
            guard let known = Language(rawValue: $0) else { throw IntakeError(.corrupt, "language") }
            return known
        }
        return Person(
            id: UserID(rawValue: try row.decode(forColumn: "id")), language: language,
            unit: try row.decode(forColumn: "unit"), greetedAt: try row.decode(forColumn: "greeted_at"),
            createdAt: try row.decode(forColumn: "created_at"), remindersOff: try row.decode(forColumn: "reminders_off"),
            pausedUntil: try row.decode(forColumn: "paused_until"),
            weeklyCheckin: try row.decode(forColumn: "weekly_checkin"),
            challengeUpdates: try row.decode(forColumn: "challenge_updates"))
    }

    static func ideaByName(_ row: Row) throws -> Idea {
        Idea(
            number: try row.decode(forColumn: "number"), author: UserID(rawValue: try row.decode(forColumn: "author")),
            title: try row.decode(forColumn: "title"), problem: try row.decode(forColumn: "problem"),
            benefits: try row.decode(forColumn: "benefits"), solution: try row.decode(forColumn: "solution"),
            theme: try row.decode(forColumn: "challenge"), unit: try row.decode(forColumn: "unit"),
            stage: try #require(IdeaStage(rawValue: try row.decode(forColumn: "stage"))),
            guide: (try row.decode(String?.self, forColumn: "guide")).map(UserID.init(rawValue:)),
            createdAt: try row.decode(forColumn: "created_at"), updatedAt: try row.decode(forColumn: "updated_at"),
            submittedAt: try row.decode(forColumn: "submitted_at"), campaign: try row.decode(forColumn: "campaign"))
    }

    @Test func peopleAndIdeasReadAsByColumnName() throws {
        let store = try IntakeStore()
        var generator = SplitMix64(seed: 23)
        let texts = ["", "Tolk", "åäö \"citat\" \\ /", "e\u{301}", "🧑‍🍳", "rad\nbrytning"]
        try store.write { tx in
            for index in 0..<300 {
                let person = Person(
                    id: UserID("@p\(index):kommun.se"), language: Self.maybe(&generator, index % 2 == 0 ? .sv : .en),
                    unit: Self.maybe(&generator, texts[index % texts.count]), greetedAt: Self.maybe(&generator, Self.date(&generator)),
                    createdAt: Self.date(&generator), remindersOff: generator.next() % 2 == 0,
                    pausedUntil: Self.maybe(&generator, Self.date(&generator)), weeklyCheckin: generator.next() % 2 == 0,
                    challengeUpdates: generator.next() % 2 == 0)
                try tx.savePerson(person)
                let personRow = try #require(try Row.fetchOne(tx.db, sql: "SELECT * FROM person WHERE id = ?", arguments: [person.id.rawValue]))
                let personByName = try Self.personByName(personRow)
                #expect(try tx.person(person.id) == personByName)
                #expect(try Person(row: personRow) == personByName)
                #expect(personByName.id == person.id && personByName.unit == person.unit)
                let idea = Idea(
                    number: index + 1, author: person.id, title: texts[(index + 1) % texts.count],
                    problem: texts[(index + 2) % texts.count], benefits: Self.maybe(&generator, texts[index % texts.count]),
                    solution: Self.maybe(&generator, "lösning \(index)"), theme: Self.maybe(&generator, "tema"),
                    unit: Self.maybe(&generator, "Skola"), stage: IdeaStage.allCases[index % IdeaStage.allCases.count],
                    guide: Self.maybe(&generator, UserID("@guide:kommun.se")), createdAt: Self.date(&generator),
                    updatedAt: Self.date(&generator), submittedAt: Self.maybe(&generator, Self.date(&generator)),
                    campaign: nil)
                try tx.saveIdea(idea)
                let ideaRow = try #require(try Row.fetchOne(tx.db, sql: "SELECT * FROM idea WHERE number = ?", arguments: [idea.number]))
                let ideaByName = try Self.ideaByName(ideaRow)
                #expect(try tx.idea(number: idea.number) == ideaByName)
                #expect(try Idea(row: ideaRow) == ideaByName)
                #expect(ideaByName.title == idea.title && ideaByName.guide == idea.guide && ideaByName.stage == idea.stage)
            }
            let all = try Row.fetchAll(tx.db, sql: "SELECT * FROM idea ORDER BY number").map(Self.ideaByName)
            let byNumber = try tx.ideas(numbers: all.map(\.number) + [100_000])
            #expect(byNumber.count == all.count)
            #expect(all.allSatisfy { byNumber[$0.number] == $0 })
            #expect(try tx.ideas(author: UserID("@p7:kommun.se")) == all.filter { $0.author == UserID("@p7:kommun.se") })
            #expect(try tx.person(UserID("@nobody:kommun.se")) == nil)
            #expect(try tx.idea(number: 100_000) == nil)
        }
    }

    /// `savePerson` writes, for a new person and over an existing one, the row GRDB's `upsert` of the record
    /// writes (dates as GRDB's own text, booleans as integers, absent values as NULL).
    @Test func aPersonIsWrittenAsGRDBWritesIt() throws {
        let byHand = try IntakeStore()
        let byGRDB = try IntakeStore()
        var generator = SplitMix64(seed: 41)
        for round in 0..<2 {
            for index in 0..<200 {
                let person = Person(
                    id: UserID("@p\(index):kommun.se"), language: Self.maybe(&generator, index % 2 == 0 ? .sv : .en),
                    unit: Self.maybe(&generator, ["", "Skola", "åäö \"x\"", "🧑‍🍳"][index % 4]),
                    greetedAt: Self.maybe(&generator, Self.date(&generator)), createdAt: Self.date(&generator),
                    remindersOff: generator.next() % 2 == 0, pausedUntil: Self.maybe(&generator, Self.date(&generator)),
                    weeklyCheckin: generator.next() % 2 == 0, challengeUpdates: generator.next() % 2 == 0)
                try byHand.write { try $0.savePerson(person) }
                try byGRDB.write { try person.upsert($0.db) }
                let sql = "SELECT * FROM person WHERE id = ?"
                let hand = try byHand.read { try #require(try Row.fetchOne($0.db, sql: sql, arguments: [person.id.rawValue])) }
                let grdb = try byGRDB.read { try #require(try Row.fetchOne($0.db, sql: sql, arguments: [person.id.rawValue])) }
                #expect(hand == grdb, "round \(round), person \(index)")
                #expect(try byHand.read { try $0.person(person.id) } == (try Self.personByName(grdb)))
            }
        }
        #expect(try byHand.read { try $0.people().count } == 200)
    }

    /// `saveIdea` writes, for a new idea and over a stored one, the row GRDB's `upsert` of the record writes;
    /// over a stored one it sets only the columns whose stored value differs (a text respelled in another
    /// Unicode normal form is a difference), and nothing when none does.
    @Test func anIdeaIsWrittenAsGRDBWritesItSettingOnlyWhatChanged() throws {
        let byHand = try IntakeStore()
        let byGRDB = try IntakeStore()
        var generator = SplitMix64(seed: 43)
        let texts = ["", "Tolk", "é", "e\u{301}", "🧑‍🍳", "åäö \"citat\""]
        func text() -> String { texts[Int(generator.next() % UInt64(texts.count))] }
        func fresh(_ number: Int) -> Idea {
            Idea(
                number: number, author: UserID("@p\(generator.next() % 3):kommun.se"), title: text(), problem: text(),
                benefits: Self.maybe(&generator, text()), solution: Self.maybe(&generator, text()),
                theme: Self.maybe(&generator, text()), unit: Self.maybe(&generator, text()),
                stage: IdeaStage.allCases[Int(generator.next() % UInt64(IdeaStage.allCases.count))],
                guide: Self.maybe(&generator, UserID("@guide:kommun.se")), createdAt: Self.date(&generator),
                updatedAt: Self.date(&generator), submittedAt: Self.maybe(&generator, Self.date(&generator)),
                campaign: Self.maybe(&generator, Int(generator.next() % 5)))
        }
        var statements: [String] = []
        try byHand.write { tx in tx.db.trace { statements.append($0.description) } }
        var stored: [Int: Idea] = [:]
        for round in 0..<600 {
            let number = Int(generator.next() % 40) + 1
            var idea = fresh(number)
            if let old = stored[number] {
                // Each column kept or changed on its own.
                let new = idea
                idea = old
                if generator.next() % 3 == 0 { idea.author = new.author }
                if generator.next() % 3 == 0 { idea.title = new.title }
                if generator.next() % 3 == 0 { idea.problem = new.problem }
                if generator.next() % 3 == 0 { idea.benefits = new.benefits }
                if generator.next() % 3 == 0 { idea.solution = new.solution }
                if generator.next() % 3 == 0 { idea.theme = new.theme }
                if generator.next() % 3 == 0 { idea.unit = new.unit }
                if generator.next() % 3 == 0 { idea.stage = new.stage }
                if generator.next() % 3 == 0 { idea.guide = new.guide }
                if generator.next() % 3 == 0 { idea.updatedAt = new.updatedAt }
                if generator.next() % 3 == 0 { idea.submittedAt = new.submittedAt }
                if generator.next() % 3 == 0 { idea.campaign = new.campaign }
            }
            let before = try byHand.read { try Row.fetchOne($0.db, sql: "SELECT * FROM idea WHERE number = ?", arguments: [number]) }
            statements.removeAll()
            try byHand.write { try $0.saveIdea(idea) }
            try byGRDB.write { try idea.upsert($0.db) }
            let sql = "SELECT * FROM idea WHERE number = ?"
            let hand = try byHand.read { try #require(try Row.fetchOne($0.db, sql: sql, arguments: [number])) }
            let grdb = try byGRDB.read { try #require(try Row.fetchOne($0.db, sql: sql, arguments: [number])) }
            #expect(hand == grdb, "round \(round), idea \(number)")
            // Byte for byte (a `Row` compares texts as Swift does, canonically equivalent ones equal).
            let bytes = "SELECT \(Idea.columns.map { "hex(\($0))" }.joined(separator: ", ")) FROM idea WHERE number = ?"
            #expect(
                try byHand.read { try Row.fetchOne($0.db, sql: bytes, arguments: [number]) }
                    == (try byGRDB.read { try Row.fetchOne($0.db, sql: bytes, arguments: [number]) }),
                "round \(round), idea \(number)")
            let writes = statements.filter { $0.hasPrefix("INSERT INTO idea (") || $0.hasPrefix("UPDATE idea ") }
            if let before {
                // The columns set are exactly those whose stored bytes differ.
                let differing = Idea.columns.dropFirst().filter { column in
                    let old: DatabaseValue = before[column], new: DatabaseValue = grdb[column]
                    if case .string(let a) = old.storage, case .string(let b) = new.storage { return !a.utf8.elementsEqual(b.utf8) }
                    return old != new
                }
                if differing.isEmpty {
                    #expect(writes.isEmpty, "round \(round): \(writes)")
                } else {
                    #expect(writes == ["UPDATE idea SET \(differing.map { "\($0) = ?" }.joined(separator: ", ")) WHERE number = ?"])
                }
            } else {
                #expect(writes.count == 1 && writes[0].hasPrefix("INSERT INTO idea ("))
            }
            stored[number] = idea
            // The similar-idea index holds the submitted ideas, and the number counter is past every idea.
            try byHand.read { tx in
                let indexed = try Int.fetchAll(tx.db, sql: "SELECT rowid FROM idea_stems ORDER BY rowid")
                let submitted = try Int.fetchAll(tx.db, sql: "SELECT number FROM idea WHERE stage != 'utkast' ORDER BY number")
                #expect(indexed == submitted, "round \(round)")
                let counter = try Int.fetchOne(tx.db, sql: "SELECT value FROM counter WHERE name = 'idea'") ?? 0
                #expect(counter >= stored.keys.max() ?? 0, "round \(round)")
            }
        }
        #expect(stored.count == 40)
    }

    /// The sender's lane query reads entries by position: the same entries as the reading by column name, and
    /// the fields as written.
    @Test func laneHeadsReadAsByColumnName() throws {
        let store = try IntakeStore()
        var generator = SplitMix64(seed: 31)
        try store.write { tx in
            var written: [String: OutboxEntry] = [:]
            for index in 0..<120 {
                let entry = OutboxEntry(
                    txnID: "$e\(index).0", kind: index % 7 == 0 ? .join : .message,
                    roomID: index % 5 == 0 ? nil : RoomID("!r\(index % 40):kommun.se"),
                    recipient: index % 5 == 0 ? UserID("@p\(index):kommun.se") : nil,
                    body: RichText(template: "Hej **{n}**\n`skicka` /x \"citat\" åäö", values: ["n": "\(index)"]),
                    style: index % 2 == 0 ? .notice : .text, inReplyTo: Self.maybe(&generator, "$in\(index)"),
                    createdAt: Self.date(&generator),
                    priority: [OutboxEntry.Priority.reply, .notice, .bulk][index % 3])
                _ = try tx.enqueue(entry)
                written[entry.txnID] = entry
            }
            let byName = try tx.unsentOutbox(limit: 1_000)
            let heads = try tx.outboxLaneHeads(limit: 1_000, dueBy: Date(timeIntervalSince1970: 4_000_000_000))
            #expect(heads.count == 32 + 24)  // 32 rooms, and 24 recipients without a room
            for (head, lanePriority) in heads {
                let same = try #require(byName.first { $0.id == head.id })
                #expect(head == same)
                let original = try #require(written[head.txnID])
                #expect(head.body == original.body && head.kind == original.kind && head.priority == original.priority)
                #expect(head.roomID == original.roomID && head.recipient == original.recipient && head.style == original.style)
                #expect(head.inReplyTo == original.inReplyTo && head.attempts == 0 && head.sentAt == nil)
                #expect(lanePriority <= head.priority)
            }
        }
    }

    /// A round's heads that share a text (a burst's replies, an announcement's DMs) read it once: each head
    /// still gets its own text, as the reading by column name gives it.
    @Test func laneHeadsSharingTextsReadAsByColumnName() throws {
        let store = try IntakeStore()
        let texts: [RichText] = ["Hjälp åäö", RichText([.text("Ny utmaning: "), .strong("Kaffe")]), "Hjälp åäö!"]
        func text(_ index: Int) -> RichText {
            let choice: Int = index % 7 == 0 ? 1 : (index % 2) * 2
            return texts[choice]
        }
        let expected: [RichText] = (0..<60).map(text)
        try store.write { tx in
            for index in 0..<60 {
                let entry = OutboxEntry(
                    txnID: "$e\(index).0", roomID: RoomID("!r\(index):kommun.se"), body: text(index),
                    createdAt: Date(timeIntervalSince1970: 1_800_000_000 + Double(index)))
                _ = try tx.enqueue(entry)
            }
            let byName: [OutboxEntry] = try tx.unsentOutbox(limit: 1_000)
            let heads = try tx.outboxLaneHeads(limit: 1_000, dueBy: Date(timeIntervalSince1970: 4_000_000_000))
            let entries: [OutboxEntry] = heads.map(\.entry)
            #expect(entries == byName)
            let bodies: [RichText] = entries.map(\.body)
            #expect(bodies == expected)
        }
    }

    /// The lane query reads a body's bytes (a blob cast) and takes the form this process writes straight from
    /// them: a body in any other form (spaces, another key order, a blob, bytes that are not UTF-8, a NUL)
    /// reads as the reading by column name reads it, or fails as it fails.
    @Test(arguments: [
        #"UPDATE outbox SET body = '{ "spans" : [ { "text" : { "_0" : "Hej" } } ] }'"#,
        #"UPDATE outbox SET body = CAST('{"spans":[{"strong":{"_0":"Hej"}}]}' AS BLOB)"#,
        #"UPDATE outbox SET body = CAST(x'7b227370616e73223a5b7b2274657874223a7b225f30223a2248ff6a227d7d5d7d' AS TEXT)"#,
        #"UPDATE outbox SET body = CAST(x'7b227370616e73223a5b5d7d007878' AS TEXT)"#,
        #"UPDATE outbox SET body = 'inte json'"#,
    ])
    func laneHeadsReadOtherBodiesAsByColumnName(_ rewrite: String) throws {
        let store = try IntakeStore()
        try store.write { tx in
            _ = try tx.enqueue(
                OutboxEntry(
                    txnID: "$e.0", roomID: RoomID("!r:kommun.se"), body: RichText("Hej åäö"),
                    createdAt: Date(timeIntervalSince1970: 1_800_000_000)))
            try tx.db.execute(sql: rewrite)
            let byName = Result { try tx.unsentOutbox(limit: 10) }
            let heads = Result { try tx.outboxLaneHeads(limit: 10, dueBy: Date(timeIntervalSince1970: 4_000_000_000)) }
            switch (byName, heads) {
            case (.success(let byName), .success(let heads)):
                #expect(heads.map(\.entry) == byName)
                #expect(heads.count == 1)
            case (.failure, .failure): break
            default: Issue.record("by name \(byName), by position \(heads)")
            }
        }
    }

    @Test(arguments: [
        "UPDATE person SET reminders_off = 'ja'", "UPDATE person SET created_at = 'igår'", "UPDATE person SET language = 'fi'",
        "UPDATE person SET greeted_at = x'00'", "UPDATE person SET unit = x'ff'",
    ])
    func anUnreadablePersonIsAnError(_ corruption: String) throws {
        let store = try IntakeStore()
        try store.write { tx in
            try tx.savePerson(Person(id: UserID("@anna:kommun.se"), createdAt: Date(timeIntervalSince1970: 1_800_000_000)))
            try tx.db.execute(sql: corruption)
            #expect(throws: IntakeError.self) { try tx.person(UserID("@anna:kommun.se")) }
        }
    }

    @Test(arguments: [
        "UPDATE idea SET title = x'ff'", "UPDATE idea SET stage = 'klar'", "UPDATE idea SET updated_at = 'igår'",
        "UPDATE idea SET created_at = x'01'", "UPDATE idea SET campaign = 'x'", "UPDATE idea SET author = x'ff'",
        "UPDATE idea SET submitted_at = 'snart'",
    ])
    func anUnreadableIdeaIsAnError(_ corruption: String) throws {
        let store = try IntakeStore()
        try store.write { tx in
            let at = Date(timeIntervalSince1970: 1_800_000_000)
            try tx.saveIdea(Idea(number: 1, author: UserID("@anna:kommun.se"), title: "T", problem: "P", createdAt: at, updatedAt: at))
            try tx.db.execute(sql: corruption)
            #expect(throws: IntakeError.self) { try tx.idea(number: 1) }
        }
    }

    /// The reading by column name the positional one replaced for challenges (`Campaign(from:)`, through
    /// GRDB's `Row` and `Decodable`).
    static func campaignByName(_ row: Row) throws -> Campaign {
        let deadline: String = try row.decode(forColumn: "deadline")
        return Campaign(
            number: try row.decode(forColumn: "number"), title: try row.decode(forColumn: "title"),
            question: try row.decode(forColumn: "question"), deadline: try #require(CivilDate(iso: deadline)),
            openedBy: UserID(rawValue: try row.decode(forColumn: "opened_by")), openedAt: try row.decode(forColumn: "opened_at"),
            closedAt: try row.decode(forColumn: "closed_at"),
            closedBy: (try row.decode(String?.self, forColumn: "closed_by")).map(UserID.init(rawValue:)))
    }

    @Test func challengesReadAsByColumnName() throws {
        let store = try IntakeStore()
        var generator = SplitMix64(seed: 29)
        let texts = ["Tolk", "åäö \"citat\" \\ /", "e\u{301}", "🧑‍🍳", "rad\nbrytning"]
        try store.write { tx in
            for number in 1...60 {
                let closed = generator.next() % 3 == 0
                try tx.saveCampaign(
                    Campaign(
                        number: number, title: texts[number % texts.count], question: texts[(number + 1) % texts.count],
                        deadline: try #require(CivilDate(year: 2027, month: 1 + Int(generator.next() % 12), day: 1 + Int(generator.next() % 28))),
                        openedBy: UserID("@k\(number):kommun.se"), openedAt: Self.date(&generator),
                        closedAt: closed ? Self.date(&generator) : nil, closedBy: closed ? UserID("@c:kommun.se") : nil))
            }
            let rows = try Row.fetchAll(tx.db, sql: "SELECT * FROM campaign ORDER BY number")
            let byName = try rows.map(Self.campaignByName)
            #expect(try tx.campaigns() == byName)
            #expect(try tx.campaigns(includeClosed: false) == byName.filter { $0.closedAt == nil })
            #expect(try rows.map(Campaign.init(row:)) == byName)
            #expect(try tx.campaign(number: 7) == byName[6])
        }
    }

    @Test(arguments: [
        "UPDATE campaign SET deadline = 'snart'", "UPDATE campaign SET title = x'ff'", "UPDATE campaign SET opened_at = 'igår'",
        "UPDATE campaign SET closed_at = x'00'", "UPDATE campaign SET closed_by = x'ff'", "UPDATE campaign SET deadline = 20270131",
    ])
    func anUnreadableChallengeIsAnError(_ corruption: String) throws {
        let store = try IntakeStore()
        try store.write { tx in
            try tx.saveCampaign(
                Campaign(
                    number: 1, title: "T", question: "Q", deadline: try #require(CivilDate(year: 2027, month: 1, day: 31)),
                    openedBy: UserID("@k:kommun.se"), openedAt: Date(timeIntervalSince1970: 1_800_000_000)))
            try tx.db.execute(sql: corruption)
            #expect(throws: IntakeError.self) { try tx.campaigns() }
        }
    }
}
