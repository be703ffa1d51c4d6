import Chat
import Conversation
import Foundation
import Testing

/// The stored session is written and read by hand (`ConversationSession.storedJSON`): held to what
/// Foundation's encoder writes and its decoder reads, over seeded random sessions.
@Suite struct SessionStoredTests {
    static func randomText(_ random: inout SplitMix64) -> String {
        let pieces = ["a", "Ö", " ", "/", "\\", "\"", "\n", "\u{0}", "\u{1F}", "😀", "e\u{301}", "\u{2028}", "</script>", "€"]
        return (0..<Int(random.next() % 12)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
    }

    static func randomSession(_ random: inout SplitMix64) -> ConversationSession {
        func phase() -> ConversationSession.Phase {
            let part = ConversationSession.Part.allCases[Int(random.next() % 4)]
            return [.idle, .asking(part), .editing(part), .reviewing, .askingUnit][Int(random.next() % 5)]
        }
        var session = ConversationSession(
            phase: phase(), draftNumber: random.next() % 3 == 0 ? nil : Int(random.next() % 1_000_000))
        session.undo = (0..<Int(random.next() % 5)).map { _ in
            ConversationSession.UndoStep(
                part: ConversationSession.Part.allCases[Int(random.next() % 4)],
                previous: random.next() % 3 == 0 ? nil : randomText(&random), phase: phase())
        }
        if random.next() % 2 == 0 {
            session.forgetAskedAt = Date(timeIntervalSinceReferenceDate: Double(random.next() % 2_000_000_000) + Double(random.next() % 1000) / 1000)
        }
        return session
    }

    @Test func writtenAndReadAsFoundationDoes() throws {
        var random = SplitMix64(seed: 31)
        let sorted = JSONEncoder()
        sorted.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let older = JSONEncoder()
        older.outputFormatting = .sortedKeys  // what earlier versions stored (slashes escaped)
        for _ in 0..<3_000 {
            let session = Self.randomSession(&random)
            let ours = session.storedJSON
            #expect(ours == (try sorted.encode(session)), "\(String(decoding: ours, as: UTF8.self))")
            #expect(try JSONDecoder().decode(ConversationSession.self, from: ours) == session)
            #expect(try ConversationSession(storedJSON: try older.encode(session)) == session)
        }
    }

    @Test(arguments: [
        "", "[]", "{}", #"{"phase":{"idle":{}}}"#, #"{"phase":{"idle":{},"reviewing":{}},"undo":[]}"#,
        #"{"phase":{"asking":{"_0":9}},"undo":[]}"#, #"{"phase":{"asking":{}},"undo":[]}"#,
        #"{"phase":{"idle":{}},"undo":[{"part":1.5,"phase":{"idle":{}}}]}"#, #"{"phase":{"idle":{}},"undo":[],"draftNumber":"7"}"#,
        #"{"phase":{"idle":{}},"undo":[],"draftNumber":1e300}"#, #"{"phase":{"idle":{}},"undo":[],"forgetAskedAt":"igår"}"#,
    ])
    func unreadableTextIsAnErrorAsWithFoundation(text: String) {
        let data = Data(text.utf8)
        #expect(throws: (any Error).self) { try ConversationSession(storedJSON: data) }
        #expect(throws: (any Error).self) { try JSONDecoder().decode(ConversationSession.self, from: data) }
    }

    /// A number too large for a `Double` reads as infinity: no time a question was asked.
    @Test func anInfiniteTimeIsUnreadable() {
        #expect(throws: (any Error).self) {
            try ConversationSession(storedJSON: Data(#"{"phase":{"idle":{}},"undo":[],"forgetAskedAt":1e400}"#.utf8))
        }
        #expect(throws: (any Error).self) {
            try ConversationSession(storedJSON: Data(#"{"phase":{"idle":{}},"undo":[],"forgetAskedAt":-1e400}"#.utf8))
        }
    }
}
