import Chat
import Conversation
import Foundation
import Intake
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

/// An in-memory intake: applies the conversation's actions the way the store would.
final class FakeIntake: IntakeReading {
    var ideas: [Int: Idea] = [:]
    var events: [IdeaEvent] = []
    var persons: [UserID: Person] = [:]
    var deleted: [Int] = []
    private var next = 1

    func idea(number: Int) throws -> Idea? { ideas[number] }

    func ideas(author: UserID) throws -> [Idea] {
        ideas.values.filter { $0.author == author }.sorted { $0.number > $1.number }
    }

    func nextIdeaNumber() throws -> Int { next }

    var links: Set<[Int]> = []
    var notices: [(UserID, RichText)] = []

    func person(_ id: UserID) throws -> Person? { persons[id] }

    func ideas(stages: [IdeaStage]?, unit: String?) throws -> [Idea] {
        ideas.values
            .filter { stages?.contains($0.stage) ?? ($0.stage != .utkast) }
            .filter { unit == nil || $0.unit == unit }
            .sorted { $0.number < $1.number }
    }

    func events(ofIdea number: Int) throws -> [IdeaEvent] { events.filter { $0.ideaNumber == number } }

    func links(ofIdea number: Int) throws -> [Int] {
        links.compactMap { $0[0] == number ? $0[1] : $0[1] == number ? $0[0] : nil }.sorted()
    }

    /// The same scoring as the store, without the FTS5 candidate search.
    func similarIdeas(to text: String, excluding number: Int?, limit: Int) throws -> [SimilarIdea] {
        let terms = Similarity.terms(text)
        return ideas.values
            .filter { $0.stage != .utkast && $0.number != number }
            .map { SimilarIdea(number: $0.number, title: $0.title, stage: $0.stage,
                               score: Similarity.score(terms, Similarity.terms(Similarity.text(of: $0)))) }
            .filter { $0.score >= Similarity.threshold }
            .sorted { ($1.score, $0.number) < ($0.score, $1.number) }
            .prefix(limit).map { $0 }
    }

    var audits: [(Int?, AuditAction)] = []
    var forgotten: [UserID] = []

    func personalData(of user: UserID) throws -> PersonalDataExport {
        PersonalDataExport(
            user: user, person: persons[user],
            ideas: try ideas(author: user).reversed().map {
                PersonalDataExport.IdeaRecord(
                    idea: $0, events: try events(ofIdea: $0.number), links: try links(ofIdea: $0.number))
            },
            guiding: ideas.values.filter { $0.guide == user }.map(\.number).sorted())
    }

    var campaignsByNumber: [Int: Campaign] = [:]
    var lifts: [Int: LiftRequest] = [:]
    var announcements: [(Int, UserID?, RichText)] = []
    var posts: [(ConfiguredRoom, RichText)] = []
    var digestsRequested = 0

    func campaign(number: Int) throws -> Campaign? { campaignsByNumber[number] }
    func campaigns(includeClosed: Bool) throws -> [Campaign] {
        campaignsByNumber.values.filter { includeClosed || !$0.isClosed }.sorted { $0.number < $1.number }
    }
    func nextCampaignNumber() throws -> Int { (campaignsByNumber.keys.max() ?? 0) + 1 }
    func ideas(campaign number: Int) throws -> [Idea] {
        ideas.values.filter { $0.campaign == number && $0.stage != .utkast }.sorted { $0.number < $1.number }
    }
    func challengeUpdatePeople() throws -> [Person] {
        persons.values.filter(\.challengeUpdates).sorted { $0.id < $1.id }
    }
    func liftRequest(idea number: Int) throws -> LiftRequest? { lifts[number] }
    func pendingLiftRequests(author: UserID) throws -> [LiftRequest] {
        lifts.values.filter { $0.answer == nil && ideas[$0.ideaNumber]?.author == author }
            .sorted { $0.ideaNumber < $1.ideaNumber }
    }

    func apply(_ actions: [ConversationAction]) {
        for action in actions {
            switch action {
            case .reply, .replyFile: break
            case .saveCampaign(let campaign): campaignsByNumber[campaign.number] = campaign
            case .announce(let number, let user, let text): announcements.append((number, user, text))
            case .post(let room, let text): posts.append((room, text))
            case .saveLift(let request): lifts[request.ideaNumber] = request
            case .digestNow: digestsRequested += 1
            case .savePerson(let person): persons[person.id] = person
            case .saveIdea(let idea):
                ideas[idea.number] = idea
                next = max(next, idea.number + 1)
            case .deleteIdea(let number):
                ideas[number] = nil
                deleted.append(number)
            case .recordEvent(let event): events.append(event)
            case .notify(let user, let text): notices.append((user, text))
            case .linkIdeas(let first, let second): links.insert([min(first, second), max(first, second)])
            case .audit(let number, let action, _): audits.append((number, action))
            case .forgetPerson(let user):
                forgotten.append(user)
                persons[user] = nil
                for idea in ideas.values where idea.author == user {
                    if idea.stage == .utkast {
                        ideas[idea.number] = nil
                    } else {
                        ideas[idea.number]?.author = "anonym-00000000"
                    }
                }
            }
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
