import Chat
import Foundation
import Intake
import Prompts

// Idea challenges, good examples and the digest on demand (SkavBot.docc/Conversation.md, Intake.md, Digests.md): `utmaning ny …`,
// `utmaning stäng N`, `utmaningar`, `utmaningar på|av`, `utmaning N [idé]`, `lyft N` with the idea-giver's
// consent, and `sammanfattning`. Pure like the rest of the conversation: every effect is an action.

/// A group room the bot is configured to post in.
public enum ConfiguredRoom: String, Sendable, Equatable {
    /// `matrix.shared_room`: where challenges are announced and good examples shown.
    case shared
    /// `matrix.coordinators_room`: digests and challenge summaries.
    case coordinators
}

extension Command {
    /// The challenge, good-example and digest commands; nil when the text is none of them. `first`: its first
    /// word, folded; `word(i)`: its word at `i` (1 or 2), folded when asked for; `count`: how many words it has.
    static func parseChallenge(first: String, word: (Int) -> String, count: Int, rest: (Int) -> String?) -> Command? {
        switch first {
        case "utmaningar", "challenges", "kampanjer":
            if count == 1 { return .campaigns }
            if count == 2, let on = onOff(word(1)) { return .campaignUpdates(on: on) }
            return nil
        case "utmaning", "challenge", "kampanj":
            guard count >= 2 else { return .campaigns }
            switch word(1) {
            case "ny", "new", "oppna", "open":
                return .campaignNew(rest(1) ?? "")
            case "stang", "close", "avsluta":
                guard count == 3, let n = number(word(2)) else { return .campaignClose(nil) }
                return .campaignClose(n)
            default:
                guard let n = number(word(1)) else { return nil }
                return .campaign(n, text: rest(1))
            }
        case "sammanfattning", "sammanfatta", "digest", "summary":
            return count == 1 ? .digest : nil
        case "lyft", "lift":
            guard count == 2, let n = number(word(1)) else { return nil }
            return .lift(n)
        default:
            return nil
        }
    }

    static func onOff(_ word: String) -> Bool? {
        switch word {
        case "pa", "on", "ja", "yes": true
        case "av", "off", "nej", "no": false
        default: nil
        }
    }

    /// The idea-giver's answer to `lyft N`: `ja`, `anonymt`, `nej`, optionally with the idea's number.
    static func parseLiftAnswer(_ text: String) -> (answer: LiftRequest.Answer, number: Int?)? {
        let words = normalize(text).split(separator: " ").map(String.init)
        guard (1...3).contains(words.count) else { return nil }
        var number: Int?
        var answerWords = words
        if let last = words.last, let n = Self.number(last), words.count > 1 {
            number = n
            answerWords.removeLast()
        }
        switch answerWords.joined(separator: " ") {
        case "ja", "yes", "ja tack", "yes please":
            return (.yes, number)
        case "anonymt", "ja anonymt", "anonymously", "yes anonymously", "anonym", "anonymous", "utan namn",
            "without name", "without my name":
            return (.anonymous, number)
        case "nej", "no", "nej tack", "no thanks", "no thank you":
            return (.no, number)
        default:
            return nil
        }
    }
}

extension Turn {
    private var roles: Roles { config.roles }

    /// The local calendar day of this message.
    var today: CivilDate { CivilDate(now, in: config.timeZone) }

    mutating func performChallenge(_ command: Command) throws {
        switch command {
        case .campaigns: listCampaigns()
        case .campaignUpdates(let on):
            person.challengeUpdates = on
            reply(t(on ? .challengeUpdatesOn : .challengeUpdatesOff))
        case .campaign(let number, let text): try showCampaign(number, text: text)
        case .campaignNew(let text):
            guard roles.isCoordinator(person.id) else { return reply(t(.challengeCoordinatorOnly)) }
            try openCampaign(text)
        case .campaignClose(let number):
            guard roles.isCoordinator(person.id) else { return reply(t(.challengeCoordinatorOnly)) }
            guard let number else { return reply(t(.challengeCloseUsage)) }
            try closeCampaign(number)
        case .digest:
            guard roles.isCoordinator(person.id) else { return reply(t(.challengeCoordinatorOnly)) }
            reply(t(config.coordinatorsRoom ? .digestSentToRoom : .digestComing))
            effects.append(.digestNow)
        case .lift(let number):
            guard roles.isCoordinator(person.id) else { return reply(t(.challengeCoordinatorOnly)) }
            try askLift(number)
        default:
            break
        }
    }

    // MARK: utmaningar

    private mutating func listCampaigns() {
        let running = runningCampaigns
        var parts: [RichText] = []
        if running.isEmpty {
            parts.append(t(.challengeNoneRunning))
        } else {
            var lines = [t(.challengeListTitle, [.count: "\(running.count)"])]
            for campaign in running {
                lines.append(
                    t(.challengeListLine, [
                        .challenge: "\(campaign.number)", .title: campaign.title,
                        .deadline: campaign.deadline.description,
                    ]))
            }
            parts.append(Self.lines(lines))
            parts.append(t(.challengeListHint))
        }
        parts.append(t(person.challengeUpdates ? .challengeUpdatesAreOn : .challengeUpdatesAreOff))
        reply(.paragraphs(parts))
    }

    // MARK: utmaning N [idea]

    private mutating func showCampaign(_ number: Int, text: String?) throws {
        guard let campaign = try context.reader.campaign(number: number) else {
            return reply(t(.challengeNotFound, [.challenge: "\(number)"]))
        }
        if let text, !text.isEmpty {
            guard campaign.isRunning(on: today) else {
                return reply(t(.challengeNotRunning, [.challenge: "\(number)", .title: campaign.title]))
            }
            return try startDraft(text, campaign: campaign)
        }
        var lines = [
            t(.challengeCardTitle, [.challenge: "\(number)", .title: campaign.title]),
            t(.challengeCardQuestion, [.question: campaign.question]),
            t(.challengeCardDeadline, [.deadline: campaign.deadline.description]),
        ]
        if campaign.isRunning(on: today) {
            lines.append(t(.challengeCardHint, [.challenge: "\(number)"]))
        } else {
            lines.append(t(.challengeNotRunning, [.challenge: "\(number)", .title: campaign.title]))
        }
        reply(Self.lines(lines))
    }

    // MARK: utmaning ny title | question | deadline

    /// The longest challenge title; the question may be as long as a message.
    static let campaignTitleLimit = 120

    private mutating func openCampaign(_ text: String) throws {
        let parts = text.split(separator: "|", omittingEmptySubsequences: false)
            .map { $0.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ") }
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, !parts[2].isEmpty else {
            return reply(t(.challengeNewUsage))
        }
        let title = parts[0], question = parts[1]
        guard title.count <= Self.campaignTitleLimit else {
            return reply(t(.challengeTitleTooLong, [.limit: "\(Self.campaignTitleLimit)"]))
        }
        guard let deadline = CivilDate(iso: parts[2]) else {
            return reply(t(.challengeDeadlineInvalid, [.text: parts[2]]))
        }
        guard deadline >= today else { return reply(t(.challengeDeadlinePassed, [.deadline: deadline.description])) }
        let number = try context.reader.nextCampaignNumber()
        let campaign = Campaign(
            number: number, title: title, question: question, deadline: deadline, openedBy: person.id, openedAt: now)
        effects.append(.saveCampaign(campaign))
        let values: [Placeholder: String] = [
            .challenge: "\(number)", .title: title, .question: question, .deadline: deadline.description,
        ]
        if config.sharedRoom {
            effects.append(.announce(campaign: number, to: nil, t(.challengeAnnouncement, in: config.defaultLanguage, values)))
        }
        var told = 0
        for follower in try context.reader.challengeUpdatePeople() {
            let language = follower.language ?? config.defaultLanguage
            effects.append(.announce(campaign: number, to: follower.id, t(.challengeAnnouncementDirect, in: language, values)))
            told += 1
        }
        let where_ = config.sharedRoom ? t(.challengeOpenedShared) : t(.challengeOpenedNoShared)
        reply(
            .paragraphs([
                t(.challengeOpened, values),
                where_,
                t(.challengeOpenedFollowers, [.count: "\(told)"]),
            ]))
    }

    // MARK: utmaning stäng N

    private mutating func closeCampaign(_ number: Int) throws {
        guard var campaign = try context.reader.campaign(number: number) else {
            return reply(t(.challengeNotFound, [.challenge: "\(number)"]))
        }
        guard !campaign.isClosed else { return reply(t(.challengeAlreadyClosed, [.challenge: "\(number)"])) }
        campaign.closedAt = now
        campaign.closedBy = person.id
        effects.append(.saveCampaign(campaign))
        let ideas = try context.reader.ideas(campaign: number)
        effects.append(.post(.coordinators, try campaignSummary(campaign, ideas: ideas, language: config.defaultLanguage)))
        reply(
            t(config.coordinatorsRoom ? .challengeClosedToRoom : .challengeClosedToCoordinators, [
                .challenge: "\(number)", .title: campaign.title, .count: "\(ideas.count)",
            ]))
        // Everyone who took part hears that it closed, with thanks.
        var thanked = Set<UserID>()
        for idea in ideas where idea.author != person.id && !Pseudonym.isPseudonym(idea.author.rawValue) {
            guard thanked.insert(idea.author).inserted else { continue }
            notify(
                idea.author,
                t(.challengeClosedThanks, in: try language(of: idea.author), [
                    .challenge: "\(number)", .title: campaign.title,
                ]))
        }
    }

    /// The summary of a closed challenge for the coordinators: its question, how many ideas, per stage, and each idea.
    func campaignSummary(_ campaign: Campaign, ideas: [Idea], language: Language) throws -> RichText {
        var head = [
            t(.challengeSummaryTitle, in: language, [.challenge: "\(campaign.number)", .title: campaign.title]),
            t(.challengeCardQuestion, in: language, [.question: campaign.question]),
            t(.challengeSummaryPeriod, in: language, [
                .opened: "\(CivilDate(campaign.openedAt, in: config.timeZone))", .deadline: campaign.deadline.description,
            ]),
            t(.challengeSummaryCount, in: language, [
                .count: "\(ideas.count)", .people: "\(Set(ideas.map(\.author)).count)",
            ]),
        ]
        if ideas.isEmpty { return Self.lines(head) }
        let stages = IdeaStage.allCases.filter { stage in ideas.contains { $0.stage == stage } }
        head.append(
            t(.challengeSummaryStages, in: language, [
                .stages: stages.map { stage in
                    "\(t(PromptKey.stage(stage), in: language).plainText) \(ideas.filter { $0.stage == stage }.count)"
                }.joined(separator: ", ")
            ]))
        var lines = [t(.challengeSummaryIdeas, in: language)]
        for idea in ideas {
            lines.append(
                t(.challengeSummaryLine, in: language, [
                    .number: "\(idea.number)", .title: idea.title,
                    .unit: idea.unit ?? t(.pipelineNoUnit, in: language).plainText,
                    .stage: t(PromptKey.stage(idea.stage), in: language).plainText,
                ]))
        }
        return .paragraphs([Self.lines(head), Self.lines(lines)])
    }

    // MARK: lyft N

    private mutating func askLift(_ number: Int) throws {
        guard let idea = try context.reader.idea(number: number), idea.stage != .utkast else {
            return reply(t(.pipelineNotYours, [.number: "\(number)"]))
        }
        guard config.sharedRoom else { return reply(t(.liftNoSharedRoom)) }
        guard !Pseudonym.isPseudonym(idea.author.rawValue) else {
            return reply(t(.liftUnreachable, [.number: "\(number)"]))
        }
        if let existing = try context.reader.liftRequest(idea: number) {
            switch existing.answer {
            case nil: return reply(t(.liftPending, [.number: "\(number)"]))
            case .yes?, .anonymous?: return reply(t(.liftAlready, [.number: "\(number)"]))
            case .no?: return reply(t(.liftDeclinedBefore, [.number: "\(number)"]))
            }
        }
        effects.append(.saveLift(LiftRequest(ideaNumber: number, askedBy: person.id, askedAt: now)))
        effects.append(.audit(ideaNumber: number, action: .changed, detail: "lift asked"))
        if idea.author == person.id {
            // A coordinator lifting their own idea answers the question at once, below.
            reply(t(.liftAskedSelf, [.number: "\(number)"]))
        } else {
            reply(t(.liftAsked, [.number: "\(number)", .title: idea.title]))
        }
        notify(
            idea.author,
            t(.liftQuestion, in: try language(of: idea.author), [.number: "\(number)", .title: idea.title]))
    }

    /// The idea-giver's answer to a consent question; false when `text` is not one (then it is handled as usual).
    /// Consent to publish must be unambiguous: the answer names the idea (`ja 12`). A bare `ja` or `nej` could
    /// be meant for something else (a guide's question, the weekly question), so it only gets a hint, and only
    /// when no draft question is waiting for an answer.
    mutating func answerLift(_ text: String) throws -> Bool {
        guard let (answer, number) = Command.parseLiftAnswer(text) else { return false }
        let pending = try context.reader.pendingLiftRequests(author: person.id)
        guard !pending.isEmpty else { return false }
        guard let number else {
            switch session.phase {
            case .idle: break
            case .reviewing, .asking, .editing, .askingUnit: return false
            }
            reply(t(.liftWhich, [.numbers: pending.map { "\($0.ideaNumber)" }.joined(separator: ", ")]))
            return true
        }
        guard let request = pending.first(where: { $0.ideaNumber == number }) else { return false }
        guard let idea = try context.reader.idea(number: request.ideaNumber) else { return false }
        var answered = request
        answered.answer = answer
        answered.answeredAt = now
        effects.append(.saveLift(answered))
        effects.append(.audit(ideaNumber: idea.number, action: .changed, detail: "lift \(answer.rawValue)"))
        let values: [Placeholder: String] = [.number: "\(idea.number)", .title: idea.title]
        let coordinatorLanguage = try language(of: request.askedBy)
        switch answer {
        case .yes, .anonymous:
            effects.append(.post(.shared, goodExample(idea, named: answer == .yes)))
            reply(t(answer == .yes ? .liftThanksNamed : .liftThanksAnonymous, values))
            if request.askedBy != person.id && !Pseudonym.isPseudonym(request.askedBy.rawValue) {
                notify(request.askedBy, t(.liftConsented, in: coordinatorLanguage, values))
            }
        case .no:
            reply(t(.liftThanksNo, values))
            if request.askedBy != person.id && !Pseudonym.isPseudonym(request.askedBy.rawValue) {
                notify(request.askedBy, t(.liftRefused, in: coordinatorLanguage, values))
            }
        }
        return true
    }

    /// A good example for the shared room, in the organisation's language.
    private func goodExample(_ idea: Idea, named: Bool) -> RichText {
        let language = config.defaultLanguage
        var lines = [
            t(.liftExampleTitle, in: language, [.number: "\(idea.number)", .title: idea.title]),
            t(.liftExampleProblem, in: language, [.text: Self.excerpt(idea.problem, limit: 400)]),
        ]
        if let solution = idea.solution { lines.append(t(.liftExampleSolution, in: language, [.text: Self.excerpt(solution, limit: 400)])) }
        lines.append(t(.liftExampleStage, in: language, [.stage: t(PromptKey.stage(idea.stage), in: language).plainText]))
        let thanks = named
            ? t(.liftExampleThanksNamed, in: language, [.user: idea.author.rawValue])
            : t(.liftExampleThanksAnonymous, in: language)
        return .paragraphs([Self.lines(lines), thanks])
    }

    /// At most `limit` characters, whitespace folded, cut at a word with an ellipsis.
    static func excerpt(_ text: String, limit: Int) -> String {
        let folded = text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        guard folded.count > limit else { return folded }
        let cut = folded.prefix(limit - 1)
        if let space = cut.lastIndex(of: " "), cut.distance(from: cut.startIndex, to: space) > limit / 2 {
            return String(cut[..<space]) + "…"
        }
        return String(cut) + "…"
    }
}
