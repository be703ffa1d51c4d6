public import Chat
import Foundation
public import Intake
import Prompts

// The guide and coordinator commands (SkavBot.docc/Conversation.md, Intake.md, Privacy.md): inkorg, ta, status, svara, koppla, beröm,
// statistik, and `idé N` for the people who follow an idea up. Pure like the rest of the conversation:
// every effect is an action; messages to others are `.notify` actions in the receiver's language.

extension Command {
    /// The guide/coordinator commands. The text after the numbers is kept as typed.
    static func parsePipeline(_ text: String, plain: Bool) -> Command? {
        let words = Self.words(text, plain: plain)
        guard let first = words.first.map({ normalize($0.word, plain: plain) }) else { return nil }
        let count = words.count
        func number(at index: Int) -> Int? { index < count ? Self.number(words[index].word) : nil }
        func rest(after index: Int) -> String? {
            guard index + 1 < count else { return nil }
            let tail = text[words[index + 1].range.lowerBound...].trimmingCharacters(in: .whitespacesAndNewlines)
            return tail.isEmpty ? nil : tail
        }
        // Only the first three words can make a command's keywords: the rest is never folded, and the second
        // and third only when the first is a challenge command's.
        if let challenge = parseChallenge(first: first, word: { normalize(words[$0].word, plain: plain) }, count: count, rest: rest(after:)) {
            return challenge
        }
        switch first {
        case "inkorg", "inkorgen", "inbox":
            return count == 1 ? .inbox : nil
        case "statistik", "statistics", "stats":
            return count == 1 ? .statistics : nil
        case "ta", "claim", "take":
            guard count == 2, let n = number(at: 1) else { return nil }
            return .claim(n)
        case "status", "stage":
            guard let n = number(at: 1) else { return nil }
            return .setStage(n, stage: count > 2 ? words[2].word : nil, comment: rest(after: 2))
        case "svara", "reply", "answer":
            guard let n = number(at: 1) else { return nil }
            return .relay(n, text: rest(after: 1) ?? "")
        case "koppla", "link":
            guard count == 3, let n = number(at: 1), let m = number(at: 2) else { return nil }
            return .link(n, m)
        case "berom", "praise":
            guard let n = number(at: 1) else { return nil }
            return .praise(n, text: rest(after: 1))
        default:
            return nil
        }
    }

    /// The first four whitespace-separated words with their ranges in `text`: every command is told by its
    /// first three words, the rest of the text taken whole from the fourth (`rest(after: 2)`), and a count of
    /// four stands for "four or more" in every comparison the parsers make (`== 1`, `== 2`, `== 3`, `> 2`).
    /// So a long message is not cut into words it never needs.
    /// `plain` (`isPlainSwedish`): split at whitespace bytes, which are always whole characters there.
    private static func words(_ text: String, plain: Bool) -> [(word: String, range: Range<String.Index>)] {
        var result: [(String, Range<String.Index>)] = []
        if plain {
            let utf8 = text.utf8
            var index = utf8.startIndex
            while index < utf8.endIndex, result.count < 4 {
                while index < utf8.endIndex, isPlainWhitespace(utf8[index]) { utf8.formIndex(after: &index) }
                guard index < utf8.endIndex else { break }
                let start = index
                while index < utf8.endIndex, !isPlainWhitespace(utf8[index]) { utf8.formIndex(after: &index) }
                result.append((String(text[start..<index]), start..<index))
            }
            return result
        }
        var index = text.startIndex
        while index < text.endIndex, result.count < 4 {
            while index < text.endIndex, text[index].isWhitespace { index = text.index(after: index) }
            guard index < text.endIndex else { break }
            let start = index
            while index < text.endIndex, !text[index].isWhitespace { index = text.index(after: index) }
            result.append((String(text[start..<index]), start..<index))
        }
        return result
    }
}

/// Texts for the idea-giver that other layers (the CLI's `skav ideas stage`) also send.
public enum PipelineNotice {
    /// "You said — we did": the notice of a stage change, with the guide's comment (for a closed idea, the lesson).
    public static func stageChange(
        idea: Idea, to stage: IdeaStage, comment: String?, language: Language, prompts: PromptCatalog
    ) -> RichText {
        var values: [Placeholder: String] = [.number: "\(idea.number)", .title: idea.title]
        if stage == .avslutad { values[.lesson] = comment ?? "" }
        var parts = [prompts.text(PromptKey.stageNotice(stage), language, values)]
        if stage != .avslutad, let comment, !comment.isEmpty {
            parts.append(prompts.text(.noticeComment, language, [.comment: comment]))
        }
        return .paragraphs(parts)
    }
}

extension Turn {
    private var roles: Roles { config.roles }

    /// A text in someone else's language.
    func t(_ key: PromptKey, in language: Language, _ values: [Placeholder: String] = [:]) -> RichText {
        context.prompts.text(key, language, values)
    }

    func language(of user: UserID) throws -> Language {
        try context.reader.person(user)?.language ?? config.defaultLanguage
    }

    mutating func notify(_ user: UserID, _ text: RichText) { effects.append(.notify(user, text)) }

    /// `Status 3 veckor efter ansökan saknas` from someone without a role is an idea, not a command:
    /// only guides and coordinators get the "unknown stage" answer.
    func isEverydayText(_ command: Command) -> Bool {
        guard case .setStage(_, let stage, _) = command, !roles.isStaff(person.id) else { return false }
        return stage.flatMap(IdeaStage.init(name:)) == nil
    }

    mutating func performPipeline(_ command: Command) throws {
        if case .relay(let number, let text) = command { return try relay(number, text) }
        guard roles.isStaff(person.id) else { return reply(t(.pipelineStaffOnly)) }
        switch command {
        case .inbox: try inbox()
        case .claim(let number): try claim(number)
        case .setStage(let number, let stage, let comment): try setStage(number, stage, comment)
        case .link(let first, let second): try link(first, second)
        case .praise(let number, let text): try praise(number, text)
        case .statistics:
            guard roles.isCoordinator(person.id) else { return reply(t(.pipelineCoordinatorOnly)) }
            try statistics()
        default: break
        }
    }

    /// The idea if the person follows it up (a coordinator, or a guide of its unit); drafts are private.
    private func managed(_ number: Int) throws -> Idea? {
        guard let idea = try context.reader.idea(number: number), idea.stage != .utkast,
            roles.canManage(idea, by: person.id)
        else { return nil }
        return idea
    }

    private func days(since date: Date) -> Int { max(0, Int(now.timeIntervalSince(date) / 86_400)) }

    // MARK: inkorg

    static let inboxStages: [IdeaStage] = [.inkommen, .bedoms, .utvecklas, .testas]

    private mutating func inbox() throws {
        let ideas: [Idea]
        if roles.isCoordinator(person.id) {
            ideas = try context.reader.ideas(stages: Self.inboxStages, unit: nil)
        } else {
            ideas = try roles.units(guidedBy: person.id).flatMap {
                try context.reader.ideas(stages: Self.inboxStages, unit: $0)
            }
        }
        guard !ideas.isEmpty else { return reply(t(.pipelineInboxEmpty)) }
        let sorted = ideas.sorted {
            ($0.submittedAt ?? $0.createdAt, $0.number) < ($1.submittedAt ?? $1.createdAt, $1.number)
        }
        let shown = sorted.prefix(15)
        var lines = [t(.pipelineInboxTitle, [.count: "\(sorted.count)"])]
        for idea in shown {
            lines.append(
                t(.pipelineInboxLine, [
                    .number: "\(idea.number)", .title: idea.title, .stage: stageName(idea.stage),
                    .unit: idea.unit ?? t(.pipelineNoUnit).plainText,
                    .days: "\(days(since: idea.submittedAt ?? idea.createdAt))",
                    .guide: idea.guide?.rawValue ?? t(.pipelineNobody).plainText,
                ]))
        }
        if sorted.count > shown.count { lines.append(t(.pipelineInboxMore, [.count: "\(sorted.count - shown.count)"])) }
        reply(.paragraphs([Self.lines(lines), t(.pipelineInboxHint)]))
    }

    // MARK: ta N

    private mutating func claim(_ number: Int) throws {
        guard var idea = try managed(number) else { return reply(t(.pipelineNotYours, [.number: "\(number)"])) }
        guard idea.guide != person.id else { return reply(t(.pipelineClaimAlready, [.number: "\(number)"])) }
        idea.guide = person.id
        idea.updatedAt = now
        effects.append(.saveIdea(idea))
        event(number, .claimed)
        reply(t(.pipelineClaimed, [.number: "\(number)", .title: idea.title]))
        if idea.author != person.id {
            notify(
                idea.author,
                t(.noticeClaimed, in: try language(of: idea.author), [.number: "\(number)", .title: idea.title]))
        }
    }

    // MARK: status N stage [comment]

    private mutating func setStage(_ number: Int, _ stageWord: String?, _ comment: String?) throws {
        guard let idea = try managed(number) else { return reply(t(.pipelineNotYours, [.number: "\(number)"])) }
        guard let stageWord else { return reply(t(.pipelineStageUsage)) }
        guard let stage = IdeaStage(name: stageWord) else { return reply(t(.pipelineStageUnknown, [.stage: stageWord])) }
        switch StageRules.move(idea, to: stage, comment: comment, by: person.id, at: now) {
        case .failure(.unchanged):
            reply(t(.pipelineStageUnchanged, [.number: "\(number)", .stage: stageName(stage)]))
        case .failure(.lessonRequired):
            reply(t(.pipelineStageLessonRequired, [.number: "\(number)"]))
        case .failure(.notAllowed):
            let targets = StageRules.targets(from: idea.stage)
            if targets.isEmpty {
                reply(t(.pipelineStageEnd, [.number: "\(number)", .from: stageName(idea.stage)]))
            } else {
                reply(
                    t(.pipelineStageNotAllowed, [
                        .number: "\(number)", .from: stageName(idea.stage),
                        .targets: targets.map(stageName).joined(separator: ", "),
                    ]))
            }
        case .success(let (found, stageEvent)):
            var moved = found
            if moved.guide == nil {
                moved.guide = person.id
                event(number, .claimed)
            }
            effects.append(.saveIdea(moved))
            effects.append(.recordEvent(stageEvent))
            reply(t(.pipelineStageDone, [.number: "\(number)", .stage: stageName(stage)]))
            if idea.author != person.id {
                let authorLanguage = try language(of: idea.author)
                var notice = PipelineNotice.stageChange(
                    idea: moved, to: stage, comment: stageEvent.comment, language: authorLanguage,
                    prompts: context.prompts)
                if let milestone = try stageMilestone(moved, to: stage, language: authorLanguage) {
                    notice = .paragraphs([notice, milestone])
                }
                notify(idea.author, notice)
            }
        }
    }

    // MARK: svara N text

    private mutating func relay(_ number: Int, _ text: String) throws {
        guard let idea = try context.reader.idea(number: number), idea.stage != .utkast,
            roles.canSee(idea, by: person.id)
        else {
            let key: PromptKey = roles.isStaff(person.id) ? .pipelineNotYours : .ideaNotFound
            return reply(t(key, [.number: "\(number)"]))
        }
        guard !text.isEmpty else { return reply(t(.pipelineRelayEmpty, [.number: "\(number)"])) }
        let values: [Placeholder: String] = [.number: "\(number)", .title: idea.title, .text: text]
        if idea.author == person.id {
            // The idea-giver answers: to the assigned guide, else the unit's guides, else the coordinators.
            let contacts = roles.contacts(for: idea).filter { $0 != person.id }
            guard !contacts.isEmpty else { return reply(t(.pipelineRelayNobody, [.number: "\(number)"])) }
            for contact in contacts { notify(contact, t(.noticeFromGiver, in: try language(of: contact), values)) }
            event(number, .message)
            reply(t(.pipelineRelaySentToGuide, [.number: "\(number)"]))
        } else {
            notify(idea.author, t(.noticeFromGuide, in: try language(of: idea.author), values))
            event(number, .message)
            reply(t(.pipelineRelaySent, [.number: "\(number)"]))
        }
    }

    // MARK: koppla N M

    private mutating func link(_ first: Int, _ second: Int) throws {
        guard first != second else { return reply(t(.pipelineLinkSame)) }
        guard let a = try managed(first) else { return reply(t(.pipelineNotYours, [.number: "\(first)"])) }
        guard let b = try managed(second) else { return reply(t(.pipelineNotYours, [.number: "\(second)"])) }
        let (low, high) = (min(first, second), max(first, second))
        if try context.reader.links(ofIdea: first).contains(second) {
            return reply(t(.pipelineLinkAlready, [.first: "\(low)", .second: "\(high)"]))
        }
        effects.append(.linkIdeas(low, high))
        event(first, .linked, comment: "#\(second)")
        event(second, .linked, comment: "#\(first)")
        reply(t(.pipelineLinked, [.first: "\(low)", .second: "\(high)"]))
        // People who think alike meet: each idea-giver hears about the other idea.
        for (idea, other) in [(a, b), (b, a)] where idea.author != person.id {
            notify(
                idea.author,
                t(.noticeLinked, in: try language(of: idea.author), [
                    .number: "\(idea.number)", .other: "\(other.number)", .title: other.title,
                ]))
        }
    }

    // MARK: beröm N [text]

    private mutating func praise(_ number: Int, _ text: String?) throws {
        guard let idea = try managed(number) else { return reply(t(.pipelineNotYours, [.number: "\(number)"])) }
        let language = try language(of: idea.author)
        var parts = [
            context.prompts.variant(
                .noticePraise, language, seed: idea.number, [.number: "\(number)", .title: idea.title])
        ]
        if let text { parts.append(t(.noticePraiseText, in: language, [.text: text])) }
        event(number, .praise)
        reply(t(.pipelinePraiseSent, [.number: "\(number)"]))
        if idea.author != person.id { notify(idea.author, .paragraphs(parts)) }
    }

    // MARK: statistik

    private mutating func statistics() throws {
        let ideas = try context.reader.ideas(stages: nil, unit: nil)
        func section(_ title: PromptKey, _ counts: [(String, Int)]) -> RichText {
            Self.lines([t(title)] + counts.map { t(.pipelineStatsLine, [.name: $0.0, .count: "\($0.1)"]) })
        }
        let stages = IdeaStage.allCases.filter { $0 != .utkast }.map { stage in
            (stageName(stage), ideas.filter { $0.stage == stage }.count)
        }
        let noUnit = t(.pipelineNoUnit).plainText
        var units = config.units.map { unit in (unit, ideas.filter { $0.unit == unit }.count) }
        let otherUnits = Set(ideas.compactMap(\.unit)).subtracting(config.units).sorted()
        units += otherUnits.map { unit in (unit, ideas.filter { $0.unit == unit }.count) }
        let withoutUnit = ideas.filter { $0.unit == nil }.count
        if withoutUnit > 0 { units.append((noUnit, withoutUnit)) }
        var parts = [t(.pipelineStatsTitle, [.count: "\(ideas.count)"]), section(.pipelineStatsByStage, stages)]
        parts.append(section(.pipelineStatsByUnit, units))
        if !config.themes.isEmpty || ideas.contains(where: { $0.theme != nil }) {
            var challenges = config.themes.map { challenge in
                (challenge.title, ideas.filter { $0.theme == challenge.key }.count)
            }
            let known = Set(config.themes.map(\.key))
            for key in Set(ideas.compactMap(\.theme)).subtracting(known).sorted() {
                challenges.append((key, ideas.filter { $0.theme == key }.count))
            }
            challenges.append((t(.pipelineStatsNoChallenge).plainText, ideas.filter { $0.theme == nil }.count))
            parts.append(section(.pipelineStatsByChallenge, challenges))
        }
        reply(.paragraphs(parts))
    }

    // MARK: idé N for guides and coordinators

    mutating func showIdeaToStaff(_ found: Idea) throws {
        guard let idea = try managed(found.number) else {
            return reply(t(.pipelineNotYours, [.number: "\(found.number)"]))
        }
        effects.append(.audit(ideaNumber: idea.number, action: .read, detail: "idé \(idea.number)"))
        var lines = [card(idea), t(.pipelineDetailAuthor, [.user: idea.author.rawValue])]
        lines.append(t(.pipelineDetailGuide, [.user: idea.guide?.rawValue ?? t(.pipelineNobody).plainText]))
        lines.append(t(.pipelineDetailAge, [.days: "\(days(since: idea.submittedAt ?? idea.createdAt))"]))
        let links = try context.reader.links(ofIdea: idea.number)
        if !links.isEmpty {
            lines.append(t(.pipelineDetailLinks, [.numbers: links.map { "#\($0)" }.joined(separator: ", ")]))
        }
        var parts = [Self.lines(lines)]
        if let similar = try similarList(to: idea, staff: true) { parts.append(similar) }
        parts.append(t(.pipelineDetailHint, [.number: "\(idea.number)"]))
        reply(.paragraphs(parts))
    }

    // MARK: On submit

    /// Up to three earlier ideas close to this one (number, title, stage) that the reader may see, or nil
    /// when there are none. An idea's details, its title included, are for its idea-giver, the guides of
    /// its unit and coordinators (`Roles.canSee`), so the list names only those ideas, and ideas shown
    /// as good examples with their idea-giver's consent (`lyft`: `ja N` or `anonymt N`). The others are
    /// a count: the idea-giver hears that colleagues think alike and that the guides can put them in touch
    /// (`koppla`); a guide, that there are more in other units, which coordinators see.
    func similarList(to idea: Idea, staff: Bool) throws -> RichText? {
        let similar = try context.reader.similarIdeas(
            to: Similarity.text(of: idea), excluding: idea.number, limit: Self.similarCandidates)
        var shown: [SimilarIdea] = []
        var hidden = 0
        // Read at once: each match's idea, and the consent of those the reader may not see otherwise.
        let numbers = similar.map(\.number)
        let others = try context.reader.ideas(numbers: numbers)
        let unseen = numbers.filter { others[$0].map { !roles.canSee($0, by: person.id) } ?? false }
        let consents = unseen.isEmpty ? [:] : try context.reader.liftRequests(ideas: unseen)
        for match in similar {
            if maySeeSimilar(others[match.number], consent: consents[match.number]) {
                if shown.count < 3 { shown.append(match) }
            } else {
                hidden += 1
            }
        }
        guard !shown.isEmpty || hidden > 0 else { return nil }
        var lines: [RichText] = []
        if !shown.isEmpty {
            lines.append(t(staff ? .pipelineSimilarTitleStaff : .pipelineSimilarTitle))
            for match in shown {
                lines.append(
                    t(.pipelineSimilarLine, [
                        .number: "\(match.number)", .title: match.title, .stage: stageName(match.stage),
                    ]))
            }
        }
        if hidden > 0 {
            lines.append(t(staff ? .pipelineSimilarHiddenStaff : .pipelineSimilarHidden, [.count: "\(hidden)"]))
        }
        return Self.lines(lines)
    }

    /// How many close ideas are looked at before filtering by what the reader may see.
    static let similarCandidates = 50

    /// Whether the reader may be shown a similar idea's number and title: they may see its details, or its
    /// idea-giver agreed to show it as a good example.
    private func maySeeSimilar(_ other: Idea?, consent: LiftRequest?) -> Bool {
        guard let other else { return false }
        if roles.canSee(other, by: person.id) { return true }
        switch consent?.answer {
        case .yes, .anonymous: return true
        case .no, nil: return false
        }
    }

    /// Tells the unit's guides (or, when it has none, the coordinators) about a newly submitted idea.
    mutating func route(_ idea: Idea) throws {
        for recipient in roles.recipients(for: idea) where recipient != person.id {
            let language = try language(of: recipient)
            let unit = idea.unit ?? t(.pipelineNoUnit, in: language).plainText
            notify(
                recipient,
                t(.noticeNewIdea, in: language, [.unit: unit, .number: "\(idea.number)", .title: idea.title]))
        }
    }
}
