public import Chat
public import Foundation
public import Prompts

/// The stages of the idea intake (SkavBot.docc/Intake.md). Raw values are the stable ids stored in the database
/// and printed in JSON; display names live in the prompts.
public enum IdeaStage: String, Codable, Sendable, CaseIterable {
    case utkast, inkommen, bedoms, utvecklas, testas, realiserad, parkerad, avslutad

    /// Stages that still move: everything but the end states.
    public var isOpen: Bool { self != .avslutad && self != .realiserad }
}

/// A person the bot has talked to.
public struct Person: Codable, Sendable, Equatable {
    public var id: UserID
    public var language: Language?
    /// The person's unit (förvaltning), asked once on first submit.
    public var unit: String?
    /// When the first-contact greeting (with the public-records notice) was sent.
    public var greetedAt: Date?
    public var createdAt: Date
    /// `påminn inte`: no voluntary nudges (draft reminders, weekly check-in) until `påminn igen`.
    public var remindersOff: Bool
    /// `pausa påminnelser N dagar`: no voluntary nudges before this moment.
    public var pausedUntil: Date?
    /// `veckofråga på`: the opt-in weekly check-in.
    public var weeklyCheckin: Bool
    /// `utmaningar på`: new challenges and their deadline reminders by direct message.
    public var challengeUpdates: Bool

    public init(
        id: UserID, language: Language? = nil, unit: String? = nil, greetedAt: Date? = nil, createdAt: Date,
        remindersOff: Bool = false, pausedUntil: Date? = nil, weeklyCheckin: Bool = false,
        challengeUpdates: Bool = false
    ) {
        self.id = id
        self.language = language
        self.unit = unit
        self.greetedAt = greetedAt
        self.createdAt = createdAt
        self.remindersOff = remindersOff
        self.pausedUntil = pausedUntil
        self.weeklyCheckin = weeklyCheckin
        self.challengeUpdates = challengeUpdates
    }
}

/// An idea, from draft (`utkast`) on. Numbers are given when the draft is created and never reused.
public struct Idea: Codable, Sendable, Equatable {
    public var number: Int
    public var author: UserID
    /// Derived from the first sentence of the problem, at most 80 characters.
    public var title: String
    /// The friction, in the idea-giver's words.
    public var problem: String
    /// Who benefits: a choice key (`residents`, `colleagues`, `businesses`, `other`) or free text.
    public var benefits: String?
    public var solution: String?
    /// The key of a configured theme (the database column is `challenge`).
    public var theme: String?
    /// The number of the idea challenge (campaign) the idea was sent to.
    public var campaign: Int?
    public var unit: String?
    public var stage: IdeaStage
    public var guide: UserID?
    public var createdAt: Date
    public var updatedAt: Date
    public var submittedAt: Date?

    public init(
        number: Int, author: UserID, title: String, problem: String, benefits: String? = nil,
        solution: String? = nil, theme: String? = nil, unit: String? = nil, stage: IdeaStage = .utkast,
        guide: UserID? = nil, createdAt: Date, updatedAt: Date, submittedAt: Date? = nil, campaign: Int? = nil
    ) {
        self.number = number
        self.author = author
        self.title = title
        self.problem = problem
        self.benefits = benefits
        self.solution = solution
        self.theme = theme
        self.unit = unit
        self.stage = stage
        self.guide = guide
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.submittedAt = submittedAt
        self.campaign = campaign
    }

    /// The stored and exported names: `theme` keeps the column name `challenge` of the first schema.
    enum CodingKeys: String, CodingKey {
        case number, author, title, problem, benefits, solution, theme = "challenge", campaign, unit, stage, guide
        case createdAt, updatedAt, submittedAt
    }
}

/// One line of an idea's append-only history.
public struct IdeaEvent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case created, edited, submitted, stage, deleted, parked
        /// A guide took the idea (`ta N`); the actor is the guide.
        case claimed
        /// A message relayed between the idea-giver and the guide (`svara N …`); the text is not kept.
        case message
        /// Praise sent to the idea-giver (`beröm N`).
        case praise
        /// Linked to a related idea (`koppla N M`); the comment holds the other number.
        case linked
    }

    public var id: Int64?
    public var ideaNumber: Int
    public var at: Date
    public var actor: UserID
    public var kind: Kind
    public var fromStage: IdeaStage?
    public var toStage: IdeaStage?
    public var comment: String?

    public init(
        id: Int64? = nil, ideaNumber: Int, at: Date, actor: UserID, kind: Kind,
        fromStage: IdeaStage? = nil, toStage: IdeaStage? = nil, comment: String? = nil
    ) {
        self.id = id
        self.ideaNumber = ideaNumber
        self.at = at
        self.actor = actor
        self.kind = kind
        self.fromStage = fromStage
        self.toStage = toStage
        self.comment = comment
    }
}

/// A theme the organisation configured (config key `challenges`, for compatibility), which an idea-giver may tie
/// an idea to. Not to be confused with an idea challenge (`Campaign`, *idéutmaning*), which a coordinator opens
/// in chat with a question and a deadline.
public struct Theme: Codable, Sendable, Equatable {
    public var key: String
    public var title: String
    public init(key: String, title: String) {
        self.key = key
        self.title = title
    }
}

/// Read access to the intake that the conversation needs while it handles one message.
/// The store implements it inside the write transaction; tests use an in-memory fake.
public protocol IntakeReading {
    func idea(number: Int) throws -> Idea?
    /// The person's ideas, drafts included, newest first.
    func ideas(author: UserID) throws -> [Idea]
    /// The number the next new idea (draft) will get.
    func nextIdeaNumber() throws -> Int
    func person(_ id: UserID) throws -> Person?
    /// Ideas of the given stages (nil: every stage but drafts), of one unit or all, oldest first.
    func ideas(stages: [IdeaStage]?, unit: String?) throws -> [Idea]
    /// The idea's history, oldest first.
    func events(ofIdea number: Int) throws -> [IdeaEvent]
    /// The numbers of the ideas linked to this one, ascending.
    func links(ofIdea number: Int) throws -> [Int]
    /// Submitted ideas close to `text` (drafts never match), best first, at most `limit`.
    func similarIdeas(to text: String, excluding number: Int?, limit: Int) throws -> [SimilarIdea]
    /// Everything stored about the person, for `mina data`.
    func personalData(of user: UserID) throws -> PersonalDataExport

    // Idea challenges and good examples (issue 5).
    func campaign(number: Int) throws -> Campaign?
    /// Every challenge, or only those not closed, by number.
    func campaigns(includeClosed: Bool) throws -> [Campaign]
    func nextCampaignNumber() throws -> Int
    /// Ideas sent to the challenge (drafts excluded), by number.
    func ideas(campaign number: Int) throws -> [Idea]
    /// The people who opted in to challenge news, by id.
    func challengeUpdatePeople() throws -> [Person]
    func liftRequest(idea number: Int) throws -> LiftRequest?
    /// Unanswered consent requests for the person's ideas, oldest idea first.
    func pendingLiftRequests(author: UserID) throws -> [LiftRequest]

    /// These ideas (drafts too), by number; numbers without an idea are missing. One read for many, as
    /// the check of which similar ideas a reader may see.
    func ideas(numbers: [Int]) throws -> [Int: Idea]
    /// The consent requests of these ideas, by idea number.
    func liftRequests(ideas numbers: [Int]) throws -> [Int: LiftRequest]
}

extension IntakeReading {
    public func ideas(numbers: [Int]) throws -> [Int: Idea] {
        var result: [Int: Idea] = [:]
        for number in numbers { if let idea = try idea(number: number) { result[number] = idea } }
        return result
    }

    public func liftRequests(ideas numbers: [Int]) throws -> [Int: LiftRequest] {
        var result: [Int: LiftRequest] = [:]
        for number in numbers { if let request = try liftRequest(idea: number) { result[number] = request } }
        return result
    }
}

/// Derives an idea's title from its problem text: the first sentence, whitespace folded,
/// cut at a word boundary to at most `limit` characters (with an ellipsis when cut).
public func deriveTitle(from problem: String, limit: Int = 80) -> String {
    let folded = problem.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    var sentence = folded
    if let end = folded.firstIndex(where: { ".!?".contains($0) }) {
        let candidate = String(folded[..<end])
        if candidate.count >= 3 { sentence = candidate }
    }
    if sentence.count <= limit { return sentence }
    let cut = sentence.prefix(limit - 1)
    if let space = cut.lastIndex(of: " "), cut.distance(from: cut.startIndex, to: space) > limit / 2 {
        return String(cut[..<space]) + "…"
    }
    return String(cut) + "…"
}
