import Chat
import Conversation
import Foundation
import Intake
import IntakeFakes
import Testing
import Prompts
import SkavTesting
import Store

/// The repository's real prompts.
private let prompts: PromptCatalog? = try? loadPrompts()

/// The shared in-memory intake, checking what the store would refuse before it applies an action. The
/// fuzzed people are employees: no role, no idea challenges, and nothing is ever similar.
private final class FakeIntake: MemoryIntake {
    var highest = 0

    init() { super.init(findsSimilarIdeas: false) }

    func apply(_ actions: [ConversationAction], by person: UserID) throws {
        for action in actions {
            switch action {
            case .reply, .replyFile, .notify, .audit, .savePerson, .recordEvent, .linkIdeas: break
            case .saveCampaign, .announce, .post, .saveLift, .digestNow:
                try require(false, "an employee without a role caused \(action)")
            case .forgetPerson(let user):
                try require(user == person, "\(person) forgot \(user)")
            case .saveIdea(let idea):
                try require(idea.author == person, "idea \(idea.number) saved for \(idea.author) by \(person)")
                if let stored = ideas[idea.number] {
                    try require(stored.author == idea.author, "idea \(idea.number) changed author")
                    try require(stored.stage == .utkast, "submitted idea \(idea.number) changed again: \(idea)")
                } else {
                    try require(idea.number > highest, "new idea \(idea.number) not above \(highest): numbers reused")
                    highest = idea.number
                }
            case .deleteIdea(let number):
                try require(ideas[number]?.stage == .utkast, "deleted \(number), which is not a draft")
                try require(ideas[number]?.author == person, "deleted someone else's idea \(number)")
            }
            store(action)
        }
    }
}

private let units = ["Socialförvaltningen", "Skol- och fritidsförvaltningen", "Vård och omsorg"]
private let challenges = [
    Theme(key: "integration", title: "Integration och inkludering"),
    Theme(key: "klimat", title: "Klimatomställning"),
]

/// One message of a conversation: a command, an answer or something odd.
private func message(_ rng: inout Rng, known: [Int]) -> String {
    let n = known.isEmpty || rng.chance(0.2) ? rng.pick([0, 1, 2, 3, 4, 5, 99, 999_999_999]) : rng.pick(known)
    switch rng.int(0..<100) {
    case 0..<40:
        return rng.pick([
            "hjälp", "skicka", "klar", "avbryt", "ångra", "ångra", "hoppa över", "-", "mina idéer", "utkast", "ändra \(n % 6)",
            "ändra \(n)", "idé \(n)", "#\(n)", "fortsätt \(n)", "språk en", "språk sv", "language xx", "påminn inte",
            "glöm mig", "mina data", "idé: \(rng.text())", "idea:", "SKICKA!", "Avbryt.", "AndRA 1",
        ])
    case 40..<55:
        return rng.pick(["1", "2", "3", "4", "5", "0", "2)", "#1", "vet ej", "don't know", "kollegor", "invånare",
                         "soc", "skol", "vård", "klimat", "int", "integration och inkludering", "annat"])
    case 55..<60:
        return rng.pick(["", " ", "\n", "\u{200B}", "\u{202E}\u{200D}", "\u{0}", "\u{FEFF} \u{00AD}"])
    default:
        return rng.text()
    }
}

/// Tags the renderers may write; anything else in `.html` came from the user unescaped.
private let allowedTags = ["<strong>", "</strong>", "<em>", "</em>", "<code>", "</code>", "<br>", "<a href=\"", "</a>"]

private func checkRendering(_ reply: RichText) throws {
    let plain = reply.plainText
    try require(!plain.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "empty reply \(reply)")
    // Byte-wise, as an HTML parser reads it (a combining mark after `>` is no part of the tag).
    let html = Array(reply.html.utf8)
    for (index, byte) in html.enumerated() where byte == UInt8(ascii: "<") {
        let tail = html[index...]
        try require(
            allowedTags.contains { tail.starts(with: $0.utf8) },
            "raw markup in html: \(show(String(decoding: tail.prefix(60), as: UTF8.self)))")
    }
    let markdown = reply.markdown
    try require(
        !markdown.contains("@channel") && !markdown.contains("@all") && !markdown.contains("@here"),
        "a mention survives in markdown: \(show(markdown))")
}

@Suite("fuzz: conversation state machine")
struct ConversationFuzzTests {
    @Test("random conversations keep every invariant")
    func conversations() async throws {
        let catalog = try #require(prompts, "prompts/ not found")
        // A case is a whole conversation of 1–30 turns (some 15 on average).
        await fuzz("conversation", defaultCases: 300) { rng, _ in
            let config = ConversationConfig(
                units: rng.chance(0.5) ? units : [], themes: rng.chance(0.5) ? challenges : [],
                defaultLanguage: rng.pick([.sv, .en]), maxMessageLength: rng.chance(0.8) ? 4000 : rng.int(1...200))
            let intake = FakeIntake()
            let ids: [UserID] = ["@anna:kommun.se", "@bo:kommun.se"]
            var persons = ids.map { Person(id: $0, greetedAt: nil, createdAt: Date(timeIntervalSince1970: 1_760_000_000)) }
            var sessions = ids.map { _ in ConversationSession() }
            var now = Date(timeIntervalSince1970: 1_760_000_000)
            var log: [String] = []
            var longest = 0

            for _ in 0..<rng.int(1...30) {
                let who = rng.chance(0.85) ? 0 : 1
                let text = message(&rng, known: Array(intake.ideas.keys))
                log.append("\(who): \(show(text, limit: 80))")
                longest = max(longest, text.count)
                func fail(_ why: String) -> String { "\(why)\n  after: \(log.joined(separator: "\n         "))" }

                let context = ConversationContext(now: now, config: config, prompts: catalog, reader: intake)
                let actions: [ConversationAction]
                do {
                    actions = try Conversation.handle(text: text, person: persons[who], session: &sessions[who], context: context)
                } catch {
                    throw Violation(message: fail("handle threw \(error)"))
                }
                do { try intake.apply(actions, by: ids[who]) } catch let violation as Violation {
                    throw Violation(message: fail(violation.message))
                }
                now += 61

                // Replies: at least one, none empty, markup escaped, bounded.
                let replies = actions.compactMap { action -> RichText? in
                    switch action {
                    case .reply(let text), .replyFile(let text, _): text
                    default: nil
                    }
                }
                try require(!replies.isEmpty, fail("no reply"))
                // `mina data` answers with the person's whole export, as long as their data: no bound there.
                let isExport = Command.parse(text) == .myData
                let bound = isExport ? Int.max : longest <= 300 ? 4_000 : 3 * config.maxMessageLength + 2_000
                for reply in replies {
                    do { try checkRendering(reply) } catch let violation as Violation {
                        throw Violation(message: fail(violation.message))
                    }
                    try require(reply.plainText.count <= bound, fail("a reply of \(reply.plainText.count) characters"))
                }
                for case .savePerson(let saved) in actions {
                    try require(saved.id == ids[who], fail("saved another person"))
                    persons[who] = saved
                }
                try require(persons[who].greetedAt != nil, fail("not greeted"))

                // Submitted ideas: stage inkommen, a title of at most 81 characters.
                for case .saveIdea(let idea) in actions where idea.stage != .utkast {
                    try require(idea.stage == .inkommen, fail("idea saved in stage \(idea.stage)"))
                    try require(idea.submittedAt != nil, fail("submitted without a time"))
                }
                for idea in intake.ideas.values {
                    try require(!idea.title.isEmpty && idea.title.count <= 81, fail("title \(show(idea.title))"))
                    try require(!idea.problem.isEmpty, fail("idea \(idea.number) without a problem"))
                }

                // The session survives being stored.
                let stored = try JSONDecoder().decode(ConversationSession.self, from: JSONEncoder().encode(sessions[who]))
                try require(stored == sessions[who], fail("session changed in a JSON round trip"))

                // Sessions: one open draft at most, which exists as the person's draft.
                for (index, session) in sessions.enumerated() {
                    if let number = session.draftNumber {
                        let idea = intake.ideas[number]
                        try require(
                            idea?.author == ids[index] && idea?.stage == .utkast,
                            fail("session \(index) points at \(number), which is \(String(describing: idea))"))
                    } else {
                        try require(session.phase == .idle, fail("phase \(session.phase) without a draft"))
                        try require(session.undo.isEmpty, fail("undo steps without a draft"))
                    }
                    try require(session.undo.count <= ConversationSession.undoLimit, fail("undo grew to \(session.undo.count)"))
                    if session.phase == .askingUnit {
                        try require(!config.units.isEmpty, fail("asking for a unit with no units"))
                    }
                }
                try require(
                    sessions[0].draftNumber == nil || sessions[0].draftNumber != sessions[1].draftNumber,
                    fail("two people share draft \(String(describing: sessions[0].draftNumber))"))
            }
        }
    }
}
