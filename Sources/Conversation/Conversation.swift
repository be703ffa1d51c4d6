public import Chat
public import Foundation
public import Intake
import Prompts

/// What the conversation needs from the configuration.
public struct ConversationConfig: Sendable {
    /// The units (förvaltningar) a person can belong to; asked on first submit when not empty.
    public var units: [String]
    /// The themes an idea can be tied to (config `challenges`); the theme question is asked only when not empty.
    public var themes: [Theme]
    public var defaultLanguage: Language
    /// The longest message accepted, in characters.
    public var maxMessageLength: Int
    /// Guides and coordinators, from the config only.
    public var roles: Roles
    /// Whether the chat server takes files: then `mina data` arrives as one JSON file.
    public var filesSupported: Bool
    /// Whether a shared room is configured (challenge announcements, good examples).
    public var sharedRoom: Bool
    /// Whether a coordinators' room is configured (digests, challenge summaries); else coordinators get DMs.
    public var coordinatorsRoom: Bool
    /// The organisation's time zone: a challenge's deadline is a local day.
    public var timeZone: TimeZone

    public init(
        units: [String] = [], themes: [Theme] = [], defaultLanguage: Language = .sv,
        maxMessageLength: Int = 4000, roles: Roles = .none, filesSupported: Bool = false, sharedRoom: Bool = false,
        coordinatorsRoom: Bool = false, timeZone: TimeZone = TimeZone(identifier: "Europe/Stockholm") ?? .gmt
    ) {
        self.sharedRoom = sharedRoom
        self.coordinatorsRoom = coordinatorsRoom
        self.timeZone = timeZone
        self.units = units
        self.themes = themes
        self.defaultLanguage = defaultLanguage
        self.maxMessageLength = maxMessageLength
        self.roles = roles
        self.filesSupported = filesSupported
    }
}

/// What the bot must do after a message, in order.
public enum ConversationAction: Sendable, Equatable {
    /// One message to the person.
    case reply(RichText)
    /// Insert or update the person.
    case savePerson(Person)
    /// Insert or update the idea by number (drafts are ideas in stage `utkast`).
    case saveIdea(Idea)
    /// Delete a cancelled draft.
    case deleteIdea(number: Int)
    /// Append to the idea's history.
    case recordEvent(IdeaEvent)
    /// One message to another person (a guide, a coordinator, an idea-giver), in a direct chat.
    case notify(UserID, RichText)
    /// A file to the person (their data export), with a caption.
    case replyFile(RichText, FileAttachment)
    /// Link two related ideas (`koppla N M`).
    case linkIdeas(Int, Int)
    /// Record in the audit log that the writer read an idea, or exported their data (number nil).
    /// Changes are recorded by the bot from the actions themselves.
    case audit(ideaNumber: Int?, action: AuditAction, detail: String?)
    /// `glöm mig`, confirmed: forget the person at once (drafts, conversation state, settings) and
    /// pseudonymise them on submitted ideas. No conversation state is stored after this turn.
    case forgetPerson(UserID)
    /// Insert or update an idea challenge.
    case saveCampaign(Campaign)
    /// A message announcing a challenge, to the shared room (`to` nil) or one person's direct chat.
    /// A reply to it sends an idea to the challenge, so the bot remembers which message it was.
    case announce(campaign: Int, to: UserID?, RichText)
    /// A message to a configured group room; to the coordinators by direct message when their room is not configured.
    case post(ConfiguredRoom, RichText)
    /// Insert or update a consent request of `lyft N`.
    case saveLift(LiftRequest)
    /// `sammanfattning`: the coordinators' digest now (the bot builds it from the store).
    case digestNow
}

/// Everything the conversation may look at while it handles one message.
public struct ConversationContext {
    public var now: Date
    public var config: ConversationConfig
    public var prompts: PromptCatalog
    public var reader: any IntakeReading
    /// The challenge whose announcement (or reminder) this message replies to, if any.
    public var replyToCampaign: Int?

    public init(
        now: Date, config: ConversationConfig, prompts: PromptCatalog, reader: any IntakeReading,
        replyToCampaign: Int? = nil
    ) {
        self.replyToCampaign = replyToCampaign
        self.now = now
        self.config = config
        self.prompts = prompts
        self.reader = reader
    }
}

/// The direct-chat conversation with one employee (SkavBot.docc/Conversation.md): a pure state machine.
public enum Conversation {
    /// Handles one message. Pure: no I/O, no clock reads; `person` is the stored person (a newcomer has
    /// `greetedAt == nil`). A `savePerson` action, when the person changed, comes first.
    public static func handle(
        text: String, person: Person, session: inout ConversationSession, context: ConversationContext
    ) throws -> [ConversationAction] {
        var turn = Turn(person: person, session: session, context: context)
        try turn.run(text)
        session = turn.session
        return turn.actions(original: person)
    }

    /// A guide's or coordinator's command given outside a chat (the command line): the same rules, texts and
    /// actions as when it is typed in chat. Nothing of the person's conversation changes.
    public static func perform(
        _ command: Command, by person: Person, context: ConversationContext
    ) throws -> [ConversationAction] {
        var turn = Turn(person: person, session: ConversationSession(), context: context)
        try turn.performPipeline(command)
        return turn.effects
    }
}

/// One message being handled.
struct Turn {
    var person: Person
    var session: ConversationSession
    let context: ConversationContext
    /// The open draft, as it is after this turn's changes.
    var draft: Idea?
    var effects: [ConversationAction] = []
    /// The challenges ideas can be sent to today (open, deadline not passed), by number.
    var runningCampaigns: [Campaign] = []

    init(person: Person, session: ConversationSession, context: ConversationContext) {
        self.person = person
        self.session = session
        self.context = context
    }

    var config: ConversationConfig { context.config }
    var now: Date { context.now }
    var language: Language { person.language ?? config.defaultLanguage }

    func actions(original: Person) -> [ConversationAction] {
        if effects.contains(where: { if case .forgetPerson = $0 { true } else { false } }) { return effects }
        return person == original ? effects : [.savePerson(person)] + effects
    }

    // MARK: Entry

    mutating func run(_ raw: String) throws {
        if person.greetedAt == nil {
            person.greetedAt = now
            reply(.paragraphs([t(.greeting), t(.publicRecords)]))
        }
        let limit = config.maxMessageLength
        // Characters, plus a bound on scalars so a pile of combining marks cannot pass as one character.
        if raw.count > limit || raw.unicodeScalars.count > limit * 4 {
            reply(t(.tooLong, [.limit: "\(limit)"]))
            return
        }
        let text = Sanitize.clean(raw)
        if text.isEmpty {
            reply(t(.emptyMessage))
            return
        }
        if session.forgetAskedAt != nil, try answerForget(text) { return }
        try loadDraft()
        runningCampaigns = try context.reader.campaigns(includeClosed: false).filter { $0.isRunning(on: today) }
        let command = Command.parse(text).flatMap { isEverydayText($0) ? nil : $0 }
        if command == nil, try answerLift(text) { return }
        if let command {
            try perform(command)
        } else if let number = context.replyToCampaign {
            // A reply to a challenge's announcement is an idea for that challenge.
            guard let campaign = try context.reader.campaign(number: number), campaign.isRunning(on: today) else {
                let title = try context.reader.campaign(number: number)?.title ?? "#\(number)"
                reply(t(.challengeNotRunning, [.challenge: "\(number)", .title: title]))
                return try startDraft(text)
            }
            try startDraft(text, campaign: campaign)
        } else {
            try answer(text)
        }
    }

    /// Finds the open draft; forgets it when it is gone, submitted or parked elsewhere.
    private mutating func loadDraft() throws {
        guard let number = session.draftNumber else {
            if session.phase != .idle { session.close() }
            return
        }
        if let idea = try context.reader.idea(number: number), idea.author == person.id, idea.stage == .utkast {
            draft = idea
        } else {
            session.close()
        }
    }

    // MARK: Commands

    private mutating func perform(_ command: Command) throws {
        switch command {
        case .help:
            var parts = [t(.help)]
            if config.roles.isStaff(person.id) { parts.append(t(.pipelineHelpStaff)) }
            parts.append(t(.publicRecords))
            reply(.paragraphs(parts))
        case .newIdea(let text):
            if text.isEmpty { reply(t(.newIdeaEmpty)) } else { try startDraft(text) }
        case .submit:
            guard draft != nil else { return reply(t(.submitNothing)) }
            try beginSubmit()
        case .cancel:
            guard let idea = draft else { return reply(t(.cancelNothing)) }
            effects.append(.deleteIdea(number: idea.number))
            event(idea.number, .deleted, from: .utkast)
            session.close()
            draft = nil
            reply(t(.cancelDone, [.number: "\(idea.number)"]))
        case .undo:
            try undo()
        case .skip:
            try skip()
        case .edit(let number):
            guard draft != nil else { return reply(t(.draftNone)) }
            guard let part = ConversationSession.Part(rawValue: number), part != .challenge || hasChallenges else {
                return reply(t(.editInvalid, [.max: "\(maxPart.rawValue)"]))
            }
            session.phase = .editing(part)
            reply(question(part))
        case .myIdeas:
            try listIdeas()
        case .showIdea(let number):
            try showIdea(number)
        case .resume(let number):
            try resume(number)
        case .draft:
            guard let idea = draft else { return reply(t(.draftNone)) }
            var parts = [summary(idea, actions: session.phase == .reviewing || session.phase == .idle)]
            if let pending = pendingQuestion { parts.append(pending) }
            reply(.paragraphs(parts))
        case .language(let chosen):
            guard let chosen else { return reply(t(.languageUnknown)) }
            person.language = chosen
            var parts = [t(.languageSet)]
            if let pending = pendingQuestion { parts.append(pending) }
            reply(.paragraphs(parts))
        case .myData:
            try exportData()
        case .forgetMe:
            try askForget()
        case .reminders(let on): setReminders(on: on)
        case .pauseReminders(let days): pauseReminders(days: days)
        case .weeklyQuestion(let on): setWeeklyQuestion(on: on)
        case .inbox, .claim, .setStage, .relay, .link, .praise, .statistics:
            try performPipeline(command)
        case .campaigns, .campaignUpdates, .campaign, .campaignNew, .campaignClose, .digest, .lift:
            try performChallenge(command)
        }
    }

    /// The question the person is expected to answer now, if any.
    private var pendingQuestion: RichText? {
        switch session.phase {
        case .asking(let part), .editing(let part): question(part)
        case .askingUnit: unitQuestion(invalid: false)
        case .idle, .reviewing: nil
        }
    }

    // MARK: Capture

    /// A new draft; inside a running challenge when `campaign` is given (then the challenge question is not asked).
    mutating func startDraft(_ text: String, campaign: Campaign? = nil) throws {
        var parts: [RichText] = []
        if let open = draft {
            event(open.number, .parked, from: .utkast, to: .utkast)
            parts.append(t(.draftParked, [.number: "\(open.number)"]))
        }
        let number = try context.reader.nextIdeaNumber()
        let idea = Idea(
            number: number, author: person.id, title: deriveTitle(from: text), problem: text,
            createdAt: now, updatedAt: now, campaign: campaign?.number)
        draft = idea
        effects.append(.saveIdea(idea))
        event(number, .created, to: .utkast)
        session = ConversationSession(phase: .asking(.benefits), draftNumber: number)
        if let campaign {
            parts.append(t(.challengeDraftSaved, [.number: "\(number)", .title: campaign.title]))
        } else {
            parts.append(t(.draftSaved, [.number: "\(number)"]))
        }
        parts.append(question(.benefits))
        reply(.paragraphs(parts))
    }

    private mutating func answer(_ text: String) throws {
        switch session.phase {
        case .idle:
            if let idea = draft { reply(t(.reviewHint, [.number: "\(idea.number)"])) } else { try startDraft(text) }
        case .reviewing:
            reply(t(.reviewHint, [.number: "\(draft?.number ?? 0)"]))
        case .asking(let part), .editing(let part):
            try answer(part, text)
        case .askingUnit:
            if config.units.isEmpty { return try submit(unit: person.unit) }  // the units were configured away meanwhile
            guard let unit = matchUnit(text) else { return reply(unitQuestion(invalid: true)) }
            person.unit = unit
            try submit(unit: unit)
        }
    }

    /// Stores an answer to `part` (nil: skipped) and moves on.
    private mutating func answer(_ part: ConversationSession.Part, _ text: String) throws {
        let value: String?
        switch part {
        case .problem:
            value = text
        case .benefits:
            switch parseBenefits(text) {
            case .invalid: return reply(.paragraphs([t(.questionBenefitsInvalid), question(.benefits)]))
            case .value(let parsed): value = parsed
            }
        case .solution:
            value = Self.dontKnow.contains(Command.normalize(text)) ? nil : text
        case .challenge:
            guard let key = matchChallenge(text) else {
                return reply(.paragraphs([t(.questionChallengeInvalid), question(.challenge)]))
            }
            value = key
        }
        set(part, to: value)
    }

    private mutating func skip() throws {
        switch session.phase {
        case .asking(let part):
            set(part, to: part == .problem ? draft?.problem : nil)
        case .editing:
            // Skipping an edit keeps what was there.
            session.phase = .reviewing
            if let idea = draft { reply(summary(idea, actions: true)) }
        case .askingUnit:
            try submit(unit: nil)
        case .idle, .reviewing:
            reply(t(.skipNothing))
        }
    }

    /// Sets a part of the open draft, remembers the old value for `ångra`, and asks what comes next.
    private mutating func set(_ part: ConversationSession.Part, to value: String?) {
        guard var idea = draft else { return }
        let asked = session.phase
        session.undo.append(.init(part: part, previous: Self.value(of: part, in: idea), phase: asked))
        if session.undo.count > ConversationSession.undoLimit {
            session.undo.removeFirst(session.undo.count - ConversationSession.undoLimit)
        }
        Self.assign(value, to: part, in: &idea)
        idea.updatedAt = now
        draft = idea
        effects.append(.saveIdea(idea))
        if case .editing = asked { event(idea.number, .edited, comment: "\(part)") }

        let next: ConversationSession.Phase
        switch (asked, part) {
        case (.asking, .benefits): next = .asking(.solution)
        case (.asking, .solution): next = hasChallenges && idea.campaign == nil ? .asking(.challenge) : .reviewing
        default: next = .reviewing
        }
        session.phase = next
        if case .asking(let nextPart) = next { reply(question(nextPart)) } else { reply(summary(idea, actions: true)) }
    }

    private mutating func undo() throws {
        guard var idea = draft else { return reply(t(.undoNothing)) }
        guard let step = session.undo.popLast() else { return reply(t(.undoNothing)) }
        Self.assign(step.previous, to: step.part, in: &idea)
        idea.updatedAt = now
        draft = idea
        effects.append(.saveIdea(idea))
        event(idea.number, .edited, comment: "undo \(step.part)")
        session.phase = step.phase
        reply(.paragraphs([t(.undoDone), question(step.part)]))
    }

    // MARK: Submit

    private mutating func beginSubmit() throws {
        if person.unit == nil && !config.units.isEmpty {
            session.phase = .askingUnit
            reply(unitQuestion(invalid: false))
        } else {
            try submit(unit: person.unit)
        }
    }

    private mutating func submit(unit: String?) throws {
        guard var idea = draft else { return }
        idea.stage = .inkommen
        idea.unit = unit
        idea.submittedAt = now
        effects.append(.saveIdea(idea))
        event(idea.number, .submitted, from: .utkast, to: .inkommen)
        session.close()
        draft = nil
        let thanks = context.prompts.variant(.submitThanks, language, seed: idea.number, [.number: "\(idea.number)"])
        let next = unit.map { t(.submitNextUnit, [.unit: $0]) } ?? t(.submitNextNoUnit)
        var parts = [thanks]
        if let milestone = submitMilestone(count: try submittedCount(including: idea.number)) { parts.append(milestone) }
        parts.append(next)
        if let similar = try similarList(to: idea, staff: false) { parts.append(similar) }
        reply(.paragraphs(parts))
        try route(idea)
    }

    private func unitQuestion(invalid: Bool) -> RichText {
        var text = invalid ? t(.unitInvalid) : t(.unitQuestion)
        text.append(numbered(config.units))
        text.spans.append(.lineBreak)
        text.append(t(.listHint))
        return text
    }

    private func matchUnit(_ text: String) -> String? {
        Self.match(text, among: config.units.map { ($0, [$0]) })
    }

    // MARK: Ideas

    private mutating func listIdeas() throws {
        let ideas = try context.reader.ideas(author: person.id)
        guard !ideas.isEmpty else { return reply(t(.myIdeasNone)) }
        let shown = ideas.prefix(10)
        var text = t(.myIdeasTitle, [.count: "\(ideas.count)"])
        for idea in shown {
            text.spans.append(.lineBreak)
            text.append(
                t(.myIdeasLine, [.number: "\(idea.number)", .title: idea.title, .stage: stageName(idea.stage)]))
        }
        if ideas.count > shown.count {
            text.spans.append(.lineBreak)
            text.append(t(.myIdeasMore, [.count: "\(ideas.count - shown.count)"]))
        }
        reply(.paragraphs([text, t(.myIdeasHint)]))
    }

    private mutating func showIdea(_ number: Int) throws {
        // Someone else's idea and no idea at all get the same answer: nothing is revealed.
        if let idea = try context.reader.idea(number: number), idea.author != person.id,
            config.roles.isStaff(person.id)
        {
            return try showIdeaToStaff(idea)
        }
        guard let idea = try context.reader.idea(number: number), idea.author == person.id else {
            return reply(t(.ideaNotFound, [.number: "\(number)"]))
        }
        effects.append(.audit(ideaNumber: number, action: .read, detail: "idé \(number)"))
        var parts = [card(idea)]
        if idea.stage == .utkast && idea.number != draft?.number {
            parts.append(t(.ideaResumeHint, [.number: "\(idea.number)"]))
        }
        reply(.paragraphs(parts))
    }

    private mutating func resume(_ number: Int) throws {
        guard let idea = try context.reader.idea(number: number), idea.author == person.id, idea.stage == .utkast
        else {
            return reply(t(.draftNotResumable, [.number: "\(number)"]))
        }
        var parts: [RichText] = []
        if let open = draft, open.number != number {
            event(open.number, .parked, from: .utkast, to: .utkast)
            parts.append(t(.draftParked, [.number: "\(open.number)"]))
        }
        if draft?.number != number {
            session = ConversationSession(phase: .reviewing, draftNumber: number)
        } else {
            session.phase = .reviewing
        }
        draft = idea
        parts.append(t(.draftResumed, [.number: "\(number)"]))
        parts.append(summary(idea, actions: true))
        reply(.paragraphs(parts))
    }

    // MARK: Texts

    func t(_ key: PromptKey, _ values: [Placeholder: String] = [:]) -> RichText {
        context.prompts.text(key, language, values)
    }

    mutating func reply(_ text: RichText) { effects.append(.reply(text)) }

    mutating func event(
        _ number: Int, _ kind: IdeaEvent.Kind, from: IdeaStage? = nil, to: IdeaStage? = nil, comment: String? = nil
    ) {
        effects.append(
            .recordEvent(
                IdeaEvent(
                    ideaNumber: number, at: now, actor: person.id, kind: kind, fromStage: from, toStage: to,
                    comment: comment)))
    }

    /// Whether there is anything to tie an idea to: configured challenges or running idea challenges.
    private var hasChallenges: Bool { !config.themes.isEmpty || !runningCampaigns.isEmpty }
    private var maxPart: ConversationSession.Part { hasChallenges ? .challenge : .solution }

    private func question(_ part: ConversationSession.Part) -> RichText {
        switch part {
        case .problem: return t(.questionProblem)
        case .benefits: return t(.questionBenefits)
        case .solution: return t(.questionSolution)
        case .challenge:
            var text = t(.questionChallenge)
            text.append(numbered(challengeOptions.map(\.title)))
            text.spans.append(.lineBreak)
            text.append(t(.listHint))
            return text
        }
    }

    /// `1) first`, `2) second`, … each on its own line, after a line break.
    private func numbered(_ items: [String]) -> RichText {
        var text = RichText()
        for (offset, item) in items.enumerated() {
            text.spans.append(.lineBreak)
            text.append(t(.listLine, [.index: "\(offset + 1)", .text: item]))
        }
        return text
    }

    func stageName(_ stage: IdeaStage) -> String { t(PromptKey.stage(stage)).plainText }

    /// A benefit choice by its display name, or the idea-giver's own words.
    private func benefitsName(_ value: String) -> String {
        BenefitChoice(rawValue: value).map { t(.benefit($0)).plainText } ?? value
    }

    func challengeName(_ key: String) -> String {
        config.themes.first { $0.key == key }?.title ?? key
    }

    /// The summary card of a draft, numbered as `ändra N` counts.
    private func summary(_ idea: Idea, actions: Bool) -> RichText {
        let empty = t(.summaryEmpty).plainText
        var lines = [
            t(.summaryTitle, [.number: "\(idea.number)"]),
            t(.summaryProblem, [.text: idea.problem]),
            t(.summaryBenefits, [.text: idea.benefits.map(benefitsName) ?? empty]),
            t(.summarySolution, [.text: idea.solution ?? empty]),
        ]
        if hasChallenges || idea.campaign != nil {
            lines.append(t(.summaryChallenge, [.text: challengeText(of: idea) ?? empty]))
        }
        var text = Self.lines(lines)
        if actions { text = .paragraphs([text, t(.summaryActions)]) }
        return text
    }

    /// One idea, for `idé N`.
    func card(_ idea: Idea) -> RichText {
        var lines = [
            t(.ideaTitle, [.number: "\(idea.number)", .title: idea.title]),
            t(.ideaStage, [.text: stageName(idea.stage)]),
            t(.ideaProblem, [.text: idea.problem]),
        ]
        if let benefits = idea.benefits { lines.append(t(.ideaBenefits, [.text: benefitsName(benefits)])) }
        if let solution = idea.solution { lines.append(t(.ideaSolution, [.text: solution])) }
        if let challenge = challengeText(of: idea) { lines.append(t(.ideaChallenge, [.text: challenge])) }
        if let unit = idea.unit { lines.append(t(.ideaUnit, [.text: unit])) }
        return Self.lines(lines)
    }

    static func lines(_ parts: [RichText]) -> RichText {
        var text = RichText()
        for (offset, part) in parts.enumerated() {
            if offset > 0 { text.spans.append(.lineBreak) }
            text.append(part)
        }
        return text
    }

    // MARK: Answers

    private enum Parsed { case value(String), invalid }

    private static let benefitChoices: [(key: String, words: [String])] = [
        ("residents", ["invanare", "brukare", "invanare/brukare", "invanarna", "brukarna", "residents", "clients",
                       "residents/clients", "citizens"]),
        ("colleagues", ["kollegor", "kollega", "kollegorna", "medarbetare", "colleagues", "staff"]),
        ("businesses", ["foretag", "foreningar", "foretag/foreningar", "businesses", "associations",
                        "businesses/associations"]),
        ("other", ["annat", "other"]),
    ]

    private func parseBenefits(_ text: String) -> Parsed {
        let normalized = Self.stripListMarker(Command.normalize(text))
        if let number = Command.number(normalized) {
            guard (1...Self.benefitChoices.count).contains(number) else { return .invalid }
            return .value(Self.benefitChoices[number - 1].key)
        }
        if let choice = Self.benefitChoices.first(where: { $0.words.contains(normalized) }) {
            return .value(choice.key)
        }
        return .value(text)
    }

    private func matchChallenge(_ text: String) -> String? {
        Self.match(text, among: challengeOptions.map { ($0.value, $0.names) })
    }

    /// What the challenge question offers: the configured challenges, then the running idea challenges.
    private var challengeOptions: [(value: String, title: String, names: [String])] {
        config.themes.map { ($0.key, $0.title, [$0.title, $0.key]) }
            + runningCampaigns.map { (Self.campaignValue($0.number), $0.title, [$0.title]) }
    }

    /// How the challenge part holds an idea challenge (campaign) in the session and the undo steps.
    static let campaignPrefix = "campaign:"
    static func campaignValue(_ number: Int) -> String { campaignPrefix + "\(number)" }

    /// The idea's challenge as shown: the idea challenge it was sent to, else its configured challenge.
    func challengeText(of idea: Idea) -> String? {
        if let number = idea.campaign {
            let title =
                runningCampaigns.first { $0.number == number }?.title
                ?? (try? context.reader.campaign(number: number))??.title
            return title ?? "#\(number)"
        }
        return idea.theme.map(challengeName)
    }

    /// A numbered answer (`2`, `2)`, `#2`) or a name, case- and diacritic-insensitive; a unique prefix of
    /// at least three letters will do.
    private static func match(_ text: String, among options: [(value: String, names: [String])]) -> String? {
        let answer = stripListMarker(Command.normalize(text))
        if let number = Command.number(answer) {
            return (1...max(options.count, 1)).contains(number) && !options.isEmpty ? options[number - 1].value : nil
        }
        if let exact = options.first(where: { $0.names.contains { Command.normalize($0) == answer } }) {
            return exact.value
        }
        guard answer.count >= 3 else { return nil }
        let prefixed = options.filter { $0.names.contains { Command.normalize($0).hasPrefix(answer) } }
        return prefixed.count == 1 ? prefixed[0].value : nil
    }

    /// `2)` or `2.` → `2`.
    private static func stripListMarker(_ text: String) -> String {
        var text = text
        if text.count > 1, let last = text.last, last == ")" || last == "." { text.removeLast() }
        return text
    }

    private static let dontKnow: Set<String> = [
        "vet ej", "vet inte", "ingen aning", "vet ej an", "vet inte an", "don't know", "dont know", "don’t know",
        "do not know", "no idea", "not sure",
    ]

    private static func value(of part: ConversationSession.Part, in idea: Idea) -> String? {
        switch part {
        case .problem: idea.problem
        case .benefits: idea.benefits
        case .solution: idea.solution
        case .challenge: idea.campaign.map(campaignValue) ?? idea.theme
        }
    }

    private static func assign(_ value: String?, to part: ConversationSession.Part, in idea: inout Idea) {
        switch part {
        case .problem:
            guard let value, !value.isEmpty else { return }
            idea.problem = value
            idea.title = deriveTitle(from: value)
        case .benefits: idea.benefits = value
        case .solution: idea.solution = value
        case .challenge:
            if let value, value.hasPrefix(campaignPrefix), let number = Int(value.dropFirst(campaignPrefix.count)) {
                idea.campaign = number
                idea.theme = nil
            } else {
                idea.theme = value
                idea.campaign = nil
            }
        }
    }
}
