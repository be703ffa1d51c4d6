import Chat
import Conversation
import Intake

/// An in-memory intake for the conversation's tests and fuzzers: reads like the store and, through `store`,
/// applies the conversation's actions the way the store would. No Swift Testing here: the libFuzzer build
/// of `skav-fuzz` uses it too. The tests subclass it to record what else the actions asked for, or to check
/// what the store would refuse.
open class MemoryIntake: IntakeReading {
    public var ideas: [Int: Idea] = [:]
    public var events: [IdeaEvent] = []
    public var persons: [UserID: Person] = [:]
    /// Linked pairs, the lower number first.
    public var links: Set<[Int]> = []
    public var campaignsByNumber: [Int: Campaign] = [:]
    public var lifts: [Int: LiftRequest] = [:]
    /// Whether `similarIdeas` scores the submitted ideas as the store does; off, nothing is ever similar.
    public let findsSimilarIdeas: Bool
    private var next = 1

    public init(findsSimilarIdeas: Bool = true) {
        self.findsSimilarIdeas = findsSimilarIdeas
    }

    public func idea(number: Int) throws -> Idea? { ideas[number] }

    public func ideas(author: UserID) throws -> [Idea] {
        ideas.values.filter { $0.author == author }.sorted { $0.number > $1.number }
    }

    public func nextIdeaNumber() throws -> Int { next }

    public func person(_ id: UserID) throws -> Person? { persons[id] }

    public func ideas(stages: [IdeaStage]?, unit: String?) throws -> [Idea] {
        ideas.values
            .filter { stages?.contains($0.stage) ?? ($0.stage != .utkast) }
            .filter { unit == nil || $0.unit == unit }
            .sorted { $0.number < $1.number }
    }

    public func events(ofIdea number: Int) throws -> [IdeaEvent] { events.filter { $0.ideaNumber == number } }

    public func links(ofIdea number: Int) throws -> [Int] {
        links.compactMap { $0[0] == number ? $0[1] : $0[1] == number ? $0[0] : nil }.sorted()
    }

    /// The same scoring as the store, without the FTS5 candidate search.
    public func similarIdeas(to text: String, excluding number: Int?, limit: Int) throws -> [SimilarIdea] {
        guard findsSimilarIdeas else { return [] }
        let terms = Similarity.terms(text)
        return ideas.values
            .filter { $0.stage != .utkast && $0.number != number }
            .map { SimilarIdea(number: $0.number, title: $0.title, stage: $0.stage,
                               score: Similarity.score(terms, Similarity.terms(Similarity.text(of: $0)))) }
            .filter { $0.score >= Similarity.threshold }
            .sorted { ($1.score, $0.number) < ($0.score, $1.number) }
            .prefix(limit).map { $0 }
    }

    public func personalData(of user: UserID) throws -> PersonalDataExport {
        PersonalDataExport(
            user: user, person: persons[user],
            ideas: try ideas(author: user).reversed().map {
                PersonalDataExport.IdeaRecord(
                    idea: $0, events: try events(ofIdea: $0.number), links: try links(ofIdea: $0.number))
            },
            guiding: ideas.values.filter { $0.guide == user }.map(\.number).sorted())
    }

    public func campaign(number: Int) throws -> Campaign? { campaignsByNumber[number] }

    public func campaigns(includeClosed: Bool) throws -> [Campaign] {
        campaignsByNumber.values.filter { includeClosed || !$0.isClosed }.sorted { $0.number < $1.number }
    }

    public func nextCampaignNumber() throws -> Int { (campaignsByNumber.keys.max() ?? 0) + 1 }

    public func ideas(campaign number: Int) throws -> [Idea] {
        ideas.values.filter { $0.campaign == number && $0.stage != .utkast }.sorted { $0.number < $1.number }
    }

    public func challengeUpdatePeople() throws -> [Person] {
        persons.values.filter(\.challengeUpdates).sorted { $0.id < $1.id }
    }

    public func liftRequest(idea number: Int) throws -> LiftRequest? { lifts[number] }

    public func pendingLiftRequests(author: UserID) throws -> [LiftRequest] {
        lifts.values.filter { $0.answer == nil && ideas[$0.ideaNumber]?.author == author }
            .sorted { $0.ideaNumber < $1.ideaNumber }
    }

    /// Applies what the action changes in the intake, as the store would; what it asks of the chat
    /// (replies, notices, posts, announcements, audit entries, a digest) changes nothing here.
    public func store(_ action: ConversationAction) {
        switch action {
        case .reply, .replyFile, .notify, .audit, .announce, .post, .digestNow: break
        case .saveCampaign(let campaign): campaignsByNumber[campaign.number] = campaign
        case .saveLift(let request): lifts[request.ideaNumber] = request
        case .savePerson(let person): persons[person.id] = person
        case .saveIdea(let idea):
            ideas[idea.number] = idea
            next = max(next, idea.number + 1)
        case .deleteIdea(let number): ideas[number] = nil
        case .recordEvent(let event): events.append(event)
        case .linkIdeas(let first, let second): links.insert([min(first, second), max(first, second)])
        case .forgetPerson(let user):
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
