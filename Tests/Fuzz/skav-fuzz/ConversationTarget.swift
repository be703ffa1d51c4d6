import Chat
import Conversation
import Foundation
import Intake
import Privacy

/// The repository's real prompts (loaded once).
let fuzzPrompts: PromptCatalog = {
    do {
        return try PromptCatalog.load(directory: FuzzTarget.repositoryRoot.appendingPathComponent("prompts", isDirectory: true))
    } catch {
        fatalError("skav-fuzz: the prompts could not be loaded: \(error)")
    }
}()

extension FuzzTarget {
    /// A conversation through the real state machine (`Conversation.handle`), with an in-memory intake
    /// that applies the actions as the store would. The input is the messages, one a line (`\n`); a line
    /// that starts with `>` is from a second person. A first byte below 0x08 picks a configuration (units,
    /// challenges, English, short messages). Each message goes through the personal-data scanner first,
    /// as in the bot.
    static let conversation = FuzzTarget(name: "conversation", prepare: { _ = fuzzPrompts }) { bytes in
        var input = Substring(text(bytes))
        var flags: UInt8 = 0
        if let first = input.unicodeScalars.first, first.value < 0x08 {
            flags = UInt8(first.value)
            input = input.dropFirst()
        }
        let config = ConversationConfig(
            units: flags & 1 != 0 ? ["Socialförvaltningen", "Skol- och fritidsförvaltningen"] : [],
            challenges: flags & 2 != 0 ? [Challenge(key: "klimat", title: "Klimatomställning")] : [],
            defaultLanguage: flags & 4 != 0 ? .en : .sv, maxMessageLength: flags & 1 != 0 ? 4000 : 120)
        let intake = MemoryIntake()
        let ids: [UserID] = ["@anna:kommun.se", "@bo:kommun.se"]
        var persons = ids.map { Person(id: $0, greetedAt: nil, createdAt: Date(timeIntervalSince1970: 1_760_000_000)) }
        var sessions = ids.map { _ in ConversationSession() }
        var now = Date(timeIntervalSince1970: 1_760_000_000)
        let scanner = PersonalDataScanner()

        for line in input.split(separator: "\n", omittingEmptySubsequences: false).prefix(40) {
            let who = line.hasPrefix(">") ? 1 : 0
            let message = scanner.scan(String(who == 1 ? line.dropFirst() : line)).masked
            let context = ConversationContext(now: now, config: config, prompts: fuzzPrompts, reader: intake)
            let actions: [ConversationAction]
            do {
                actions = try Conversation.handle(text: message, person: persons[who], session: &sessions[who], context: context)
            } catch {
                fatalError("handle threw \(error) for \(message.debugDescription)")
            }
            intake.apply(actions, by: ids[who])
            now += 61
            let replies = actions.filter {
                if case .reply = $0 { return true }
                if case .replyFile = $0 { return true }
                return false
            }
            check(!replies.isEmpty, "no reply to \(message.debugDescription)")
            for case .savePerson(let saved) in actions {
                check(saved.id == ids[who], "saved another person")
                persons[who] = saved
            }
            for (index, session) in sessions.enumerated() {
                if let number = session.draftNumber {
                    let idea = intake.ideas[number]
                    check(idea?.author == ids[index] && idea?.stage == .utkast, "session points at idea \(number): \(String(describing: idea))")
                }
                check(session.undo.count <= ConversationSession.undoLimit, "undo grew")
            }
        }
    }
}

/// An in-memory intake that applies the conversation's actions the way the store would, and checks what
/// the store would refuse (the same as `Tests/FuzzTests`).
final class MemoryIntake: IntakeReading {
    var ideas: [Int: Idea] = [:]
    var highest = 0
    private var next = 1
    var persons: [UserID: Person] = [:]
    var events: [IdeaEvent] = []
    var links: Set<[Int]> = []

    func idea(number: Int) throws -> Idea? { ideas[number] }
    func ideas(author: UserID) throws -> [Idea] {
        ideas.values.filter { $0.author == author }.sorted { $0.number > $1.number }
    }
    func nextIdeaNumber() throws -> Int { next }
    func person(_ id: UserID) throws -> Person? { persons[id] }
    func ideas(stages: [IdeaStage]?, unit: String?) throws -> [Idea] {
        ideas.values.filter { stages?.contains($0.stage) ?? ($0.stage != .utkast) }
            .filter { unit == nil || $0.unit == unit }.sorted { $0.number < $1.number }
    }
    func events(ofIdea number: Int) throws -> [IdeaEvent] { events.filter { $0.ideaNumber == number } }
    func links(ofIdea number: Int) throws -> [Int] {
        links.compactMap { $0[0] == number ? $0[1] : $0[1] == number ? $0[0] : nil }.sorted()
    }
    func similarIdeas(to text: String, excluding number: Int?, limit: Int) throws -> [SimilarIdea] { [] }
    func personalData(of user: UserID) throws -> PersonalDataExport {
        PersonalDataExport(
            user: user, person: persons[user],
            ideas: try ideas(author: user).reversed().map {
                PersonalDataExport.IdeaRecord(idea: $0, events: try events(ofIdea: $0.number), links: try links(ofIdea: $0.number))
            },
            guiding: ideas.values.filter { $0.guide == user }.map(\.number).sorted())
    }
    func campaign(number: Int) throws -> Campaign? { nil }
    func campaigns(includeClosed: Bool) throws -> [Campaign] { [] }
    func nextCampaignNumber() throws -> Int { 1 }
    func ideas(campaign number: Int) throws -> [Idea] { [] }
    func challengeUpdatePeople() throws -> [Person] { persons.values.filter(\.challengeUpdates) }
    func liftRequest(idea number: Int) throws -> LiftRequest? { nil }
    func pendingLiftRequests(author: UserID) throws -> [LiftRequest] { [] }

    func apply(_ actions: [ConversationAction], by person: UserID) {
        for action in actions {
            switch action {
            case .reply, .replyFile, .notify, .audit: break
            case .saveCampaign, .announce, .post, .saveLift, .digestNow:
                fatalError("an employee without a role caused \(action)")
            case .savePerson(let saved): persons[saved.id] = saved
            case .recordEvent(let event): events.append(event)
            case .linkIdeas(let first, let second): links.insert([min(first, second), max(first, second)])
            case .forgetPerson(let user):
                check(user == person, "\(person) forgot \(user)")
                persons[user] = nil
                for idea in ideas.values where idea.author == user {
                    if idea.stage == .utkast { ideas[idea.number] = nil } else { ideas[idea.number]?.author = "anonym-00000000" }
                }
            case .saveIdea(let idea):
                check(idea.author == person, "idea \(idea.number) saved for \(idea.author) by \(person)")
                if let stored = ideas[idea.number] {
                    check(stored.author == idea.author, "idea \(idea.number) changed author")
                    check(stored.stage == .utkast, "submitted idea \(idea.number) changed again")
                } else {
                    check(idea.number > highest, "new idea \(idea.number) not above \(highest): numbers reused")
                    highest = idea.number
                }
                ideas[idea.number] = idea
                next = max(next, idea.number + 1)
            case .deleteIdea(let number):
                check(ideas[number]?.stage == .utkast, "deleted \(number), which is not a draft")
                check(ideas[number]?.author == person, "deleted someone else's idea \(number)")
                ideas[number] = nil
            }
        }
    }
}
