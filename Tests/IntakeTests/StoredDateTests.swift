import Foundation
import GRDB
import Testing

import Chat
import Intake
@testable import Store

/// The store reads dates by arithmetic (`StoredDate`); these tests hold it to GRDB's own reading, bit for bit.
@Suite struct StoredDateTests {
    /// GRDB's text for a date, and GRDB's reading of that text.
    func grdb(_ date: Date) -> (text: String, read: Date?) {
        let value = date.databaseValue
        return (String.fromDatabaseValue(value) ?? "", Date.fromDatabaseValue(value))
    }

    @Test func readsWhatGRDBWritesToTheSameDate() throws {
        var generator = SplitMix64(seed: 2026)
        // From 1900 to 2200, to the millisecond and beyond (GRDB keeps milliseconds).
        for _ in 0..<50_000 {
            let seconds = Double(generator.next() % 9_467_280_000) - 2_208_988_800 + Double(generator.next() % 1_000_000) / 1e6
            let (text, read) = grdb(Date(timeIntervalSince1970: seconds))
            let expected = try #require(read, "GRDB reads \(text)")
            let parsed = try #require(StoredDate.parse(text), "parses \(text)")
            #expect(parsed == expected, "\(text): \(parsed.timeIntervalSinceReferenceDate) vs \(expected.timeIntervalSinceReferenceDate)")
        }
    }

    @Test func writesWhatGRDBWrites() {
        var generator = SplitMix64(seed: 1970)
        var dates = [0.0, -0.0005, 0.9995, -1, 1_700_000_000.9999999, -11_676_096_000, 253_402_300_799.999]
        for _ in 0..<50_000 {
            // 1600 to 2400, with fractions that sit on and near millisecond boundaries.
            let whole = Double(generator.next() % 25_245_000_000) - 11_676_096_000
            let fraction = [Double(generator.next() % 1_000_000) / 1e6, Double(generator.next() % 1000) / 1000, 0.9999999999][Int(generator.next() % 3)]
            dates.append(whole + fraction)
        }
        for seconds in dates {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(StoredDate.text(date) == String.fromDatabaseValue(date.databaseValue), "\(seconds)")
        }
        // Outside the years it writes itself, GRDB writes.
        for seconds in [-62_135_596_800.0, 253_402_300_800, 1e12] {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(StoredDate.text(date) == String.fromDatabaseValue(date.databaseValue))
        }
    }

    @Test(arguments: [
        "2024-02-29 23:59:59.999", "2000-02-29 00:00:00.000", "1970-01-01 00:00:00", "1969-12-31 23:59:59.001",
        "2026-11-30 09:00:00", "9999-12-31 23:59:59.999", "1600-03-01 12:00:00.500",
    ])
    func edgesReadAsGRDBReadsThem(text: String) throws {
        let expected = try #require(Date.fromDatabaseValue(text.databaseValue))
        #expect(StoredDate.parse(text) == expected)
    }

    /// What is not exactly GRDB's own form is left to GRDB (which may still read it).
    @Test(arguments: [
        "2023-02-29 00:00:00.000", "2024-13-01 00:00:00", "2024-01-01T00:00:00.000", "2024-01-01 24:00:00",
        "2024-01-01 00:00:00.00", "2024-01-01", "", "2024-01-01 00:00:00.0000", "２０２４-01-01 00:00:00",
        "2024-01-01 00:00:00.-01", "+024-01-01 00:00:00", "0001-01-01 00:00:00.000", "1582-10-15 00:00:00",
    ])
    func otherFormsAreNotParsedHere(text: String) {
        #expect(StoredDate.parse(text) == nil)
    }

    @Test func aRowFallsBackToGRDBForOtherForms() throws {
        let queue = try DatabaseQueue()
        try queue.read { db in
            let row = try #require(
                try Row.fetchOne(
                    db, sql: "SELECT '2024-01-01T10:00:00.000', 1700000000, NULL, 'nonsense', '2024-05-01 10:00:00.250'"))
            #expect(StoredDate.date(row, 0) == Date.fromDatabaseValue("2024-01-01T10:00:00.000".databaseValue))
            #expect(StoredDate.date(row, 1) == Date(timeIntervalSince1970: 1_700_000_000))
            #expect(StoredDate.date(row, 2) == nil)
            #expect(StoredDate.date(row, 3) == nil)
            #expect(throws: IntakeError.self) { try StoredDate.required(row, 3, "a test row") }
            #expect(StoredDate.date(row, 4) == Date.fromDatabaseValue("2024-05-01 10:00:00.250".databaseValue))
        }
    }
}

/// The history line and the audit entry are written through prepared statements of the store's own: the
/// rows hold what GRDB's generic record insert writes, column for column.
@Suite struct RecordRowTests {
    func rows(_ tx: IntakeTransaction, _ table: String, _ ids: Int64...) throws -> [[String: String?]] {
        try ids.map { id in
            let row = try #require(try Row.fetchOne(tx.db, sql: "SELECT * FROM \(table) WHERE id = ?", arguments: [id]))
            var values: [String: String?] = [:]
            for (column, value) in row where column != "id" {
                values[column] = value.isNull ? nil : "\(value.storage)"
            }
            return values
        }
    }

    /// Records written through `Encodable` store their dates as `StoredDate.text` (not through GRDB's
    /// `DateFormatter`): the same text as GRDB's default.
    @Test func recordsEncodeTheirDatesAsGRDBDoes() throws {
        // GRDB asks the record for its strategy column by column: the records answer `storedText` (a custom one).
        func isStoredText(_ strategy: DatabaseDateEncodingStrategy) -> Bool {
            if case .custom = strategy { return true } else { return false }
        }
        #expect(isStoredText(IdeaEvent.databaseDateEncodingStrategy(for: "at")))
        #expect(isStoredText(Person.databaseDateEncodingStrategy(for: "created_at")))
        #expect(isStoredText(Nudge.databaseDateEncodingStrategy(for: "due_at")))
        #expect(isStoredText(QuarantineEntry.databaseDateEncodingStrategy(for: "held_at")))
        #expect(isStoredText(AuditEntry.databaseDateEncodingStrategy(for: "at")))
        #expect(isStoredText(Campaign.databaseDateEncodingStrategy(for: "created_at")))
        var generator = SplitMix64(seed: 43)
        for index in 0..<2_000 {
            let at = Date(timeIntervalSince1970: Double(generator.next() % 4_000_000_000) + Double(generator.next() % 1_000_000) / 1_000_000)
            let event = IdeaEvent(ideaNumber: index + 1, at: at, actor: UserID("@anna:kommun.se"), kind: .created)
            #expect(try event.databaseDictionary["at"] == at.databaseValue, "\(at.timeIntervalSince1970)")
        }
    }

    @Test func historyAndAuditRowsAreWhatTheRecordWrites() throws {
        let store = try IntakeStore()
        var generator = SplitMix64(seed: 42)
        try store.write { tx in
            for index in 0..<200 {
                let at = Date(timeIntervalSince1970: Double(generator.next() % 4_000_000_000) + Double(generator.next() % 1000) / 1000)
                let stages = IdeaStage.allCases
                let event = IdeaEvent(
                    ideaNumber: index + 1, at: at, actor: UserID("@anna:kommun.se"),
                    kind: [.created, .stage, .message, .linked][index % 4],
                    fromStage: index % 3 == 0 ? nil : stages[index % stages.count],
                    toStage: index % 2 == 0 ? nil : stages[(index + 1) % stages.count],
                    comment: index % 5 == 0 ? nil : "kommentar \(index) åäö \"citat\"")
                let written = try tx.appendEvent(event)
                var generic = event
                try generic.insert(tx.db)
                let (ours, theirs) = (try #require(written.id), try #require(generic.id))
                let compared = try rows(tx, "idea_event", ours, theirs)
                #expect(compared[0] == compared[1])

                let entry = AuditEntry(
                    at: at, actor: index % 2 == 0 ? "cli" : "@bertil:kommun.se", ideaNumber: index % 3 == 0 ? nil : index,
                    action: AuditAction.allCases[index % AuditAction.allCases.count], detail: index % 4 == 0 ? nil : "detalj \(index)")
                let audited = try tx.audit(entry)
                var genericEntry = entry
                try genericEntry.insert(tx.db)
                let auditRows = try rows(tx, "audit_log", try #require(audited.id), try #require(genericEntry.id))
                #expect(auditRows[0] == auditRows[1])
            }
        }
    }
}
