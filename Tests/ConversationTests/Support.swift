import Chat
import Conversation
import Foundation
import Intake
import IntakeFakes
import Prompts
import SkavTesting

/// The repository's `prompts/` (the loader is `SkavTesting`'s, shared by every test target).
let repositoryPrompts = Repository.prompts

let sourcesDirectory = Repository.path("Sources/Conversation")

let start = Date(timeIntervalSince1970: 1_760_000_000)

let sampleUnits = ["Socialförvaltningen", "Skol- och fritidsförvaltningen", "Vård och omsorg"]
let sampleChallenges = [
    Theme(key: "integration", title: "Integration och inkludering"),
    Theme(key: "klimat", title: "Klimatomställning"),
]

/// The shared in-memory intake, recording what the actions ask of the chat and the audit log.
final class FakeIntake: MemoryIntake {
    var deleted: [Int] = []
    var notices: [(UserID, RichText)] = []
    var audits: [(Int?, AuditAction)] = []
    var forgotten: [UserID] = []
    var announcements: [(Int, UserID?, RichText)] = []
    var posts: [(ConfiguredRoom, RichText)] = []
    var digestsRequested = 0

    func apply(_ actions: [ConversationAction]) {
        for action in actions {
            switch action {
            case .announce(let number, let user, let text): announcements.append((number, user, text))
            case .post(let room, let text): posts.append((room, text))
            case .digestNow: digestsRequested += 1
            case .deleteIdea(let number): deleted.append(number)
            case .notify(let user, let text): notices.append((user, text))
            case .audit(let number, let action, _): audits.append((number, action))
            case .forgetPerson(let user): forgotten.append(user)
            case .reply, .replyFile, .saveCampaign, .saveLift, .savePerson, .saveIdea, .recordEvent, .linkIdeas: break
            }
            store(action)
        }
    }
}

/// One person talking to the bot, turn by turn.
struct Harness {
    var person: Person
    var session = ConversationSession()
    let intake: FakeIntake
    var config: ConversationConfig
    let prompts: PromptCatalog
    var now = start
    var actions: [ConversationAction] = []

    init(
        _ id: UserID = "@anna:kommun.se", config: ConversationConfig = ConversationConfig(),
        intake: FakeIntake = FakeIntake(), greeted: Bool = true, prompts: PromptCatalog? = nil
    ) throws {
        self.person = Person(id: id, greetedAt: greeted ? start : nil, createdAt: start)
        self.config = config
        self.intake = intake
        self.prompts = try prompts ?? loadPrompts()
    }

    /// Sends one message; returns the replies as plain text.
    @discardableResult
    mutating func send(_ text: String, replyTo campaign: Int? = nil) throws -> [String] {
        let context = ConversationContext(
            now: now, config: config, prompts: prompts, reader: intake, replyToCampaign: campaign)
        actions = try Conversation.handle(text: text, person: person, session: &session, context: context)
        intake.apply(actions)
        for case .savePerson(let saved) in actions { person = saved }
        now = now.addingTimeInterval(60)
        return replies
    }

    var replies: [String] { actions.compactMap { if case .reply(let text) = $0 { text.plainText } else { nil } } }
    var savedIdeas: [Idea] { actions.compactMap { if case .saveIdea(let idea) = $0 { idea } else { nil } } }
    var events: [IdeaEvent] { actions.compactMap { if case .recordEvent(let event) = $0 { event } else { nil } } }
    var savedPersons: [Person] { actions.compactMap { if case .savePerson(let person) = $0 { person } else { nil } } }

    var language: Language { person.language ?? config.defaultLanguage }

    func text(_ key: PromptKey, _ values: [Placeholder: String] = [:], in language: Language? = nil) -> String {
        prompts.text(key, language ?? self.language, values).plainText
    }

    func idea(_ number: Int) -> Idea? { intake.ideas[number] }
}
