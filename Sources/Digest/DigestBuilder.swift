import Chat
import Foundation
import Intake
import Prompts

/// Turns digest data into a document in one language (SkavBot.docc/Digests.md). Pure: no I/O, no clock.
///
/// Every line is a prompt template filled in with `RichText(template:values:)`, so what users wrote
/// (titles, units, challenge titles, who benefits) is inserted as literal text that each renderer escapes.
/// That text is also folded to one line (newlines, tabs and control characters become spaces, direction
/// overrides are dropped) and cut to `fieldLimit` characters, so it cannot fake a section or swamp a message.
public enum DigestBuilder {
    /// The most characters of one user-written field shown in a line.
    public static let fieldLimit = 200
    /// The most lines per section of a guide's digest.
    public static let guideSectionLimit = 15
    /// The most items of a list section of the coordinators' digest (new ideas, overdue, stage changes);
    /// beyond it the section gives counts and "…and N more", and the full lists go as a file.
    public static let sectionLimit = 10
    /// The most clusters of similar ideas shown (the ones joining most units come first).
    public static let clusterLimit = 5
    /// The most names in a line of counts ("Skola 120 · Socialtjänst 98 · …"); the rest are summed.
    public static let countsLimit = 8

    /// Pure: no I/O, no clock. An empty period gives a document that says so in one line.
    /// - Parameters:
    ///   - withFile: the full lists go along as a file (the server takes files): a cut section says so.
    ///   - limit: the most items of a list section (`sectionLimit`; clusters have `clusterLimit`).
    public static func build(
        _ data: DigestData, language: Language, prompts: PromptCatalog, calendar: WorkingCalendar, withFile: Bool = false,
        limit: Int = sectionLimit
    ) -> DigestDocument {
        let sectionLimit = max(1, limit)
        let clusterLimit = min(clusterLimit, sectionLimit)
        let text = Texts(prompts: prompts, language: language)
        let title = text(.digestTitle, period(data.period, calendar: calendar))
        let continued = text(.digestContinued)
        if data.isQuiet {
            return DigestDocument(
                title: title, sections: [DigestSection(heading: RichText(), lines: [text(.digestCalm)])],
                continued: continued)
        }
        var sections: [DigestSection] = []
        func add(_ heading: RichText, _ lines: [RichText]) {
            if !lines.isEmpty { sections.append(DigestSection(heading: heading, lines: lines)) }
        }
        /// The first `limit` items as lines, then "…and N more" (naming the file where the server takes one).
        func capped<T>(_ items: [T], limit: Int = sectionLimit, summary: [RichText] = [], _ line: (T) -> RichText) -> [RichText] {
            guard items.count > limit else { return items.map(line) }
            let more: [Placeholder: String] = [.count: "\(items.count - limit)"]
            return summary + items.prefix(limit).map(line) + [text(withFile ? .digestMoreInFile : .digestMore, more)]
        }

        add(
            text(.digestNewTitle, [.count: "\(data.newIdeas.count)"]),
            capped(
                data.newIdeas,
                summary: [text(.digestByUnit, [.counts: counts(data.newIdeas.map { $0.idea.unit.map(clean) ?? text(.digestNoUnit).plainText }, text: text)])]
            ) { new in
                var line = text(.digestNewLine, text.idea(new.idea))
                if let challenge = new.challenge.map(clean), !challenge.isEmpty {
                    line.append(text(.digestNewChallenge, [.challenge: challenge]))
                }
                if let benefits = new.benefits.map({ text.benefits($0) }), !benefits.isEmpty {
                    line.append(text(.digestNewBenefits, [.benefits: benefits]))
                }
                return line
            })

        let total = data.funnel.reduce(0) { $0 + $1.count }
        if total > 0 {
            var line = RichText()
            for (offset, entry) in data.funnel.enumerated() {
                if offset > 0 { line.append(text(.digestFunnelSeparator)) }
                line.append(text(.digestFunnelItem, [.stage: text.stage(entry.stage), .count: "\(entry.count)"]))
            }
            add(text(.digestFunnelTitle, [.count: "\(total)"]), [line])
        }

        let overdueKinds = Dictionary(grouping: data.overdue, by: \.kind).mapValues(\.count)
        add(
            text(.digestOverdueTitle, [.count: "\(data.overdue.count)"]),
            capped(
                data.overdue,
                summary: [
                    text(
                        .digestOverdueSummary,
                        [
                            .followup: "\(overdueKinds[.followup] ?? 0)", .escalated: "\(overdueKinds[.escalated] ?? 0)",
                            .stale: "\(overdueKinds[.stale] ?? 0)",
                        ])
                ]
            ) { overdueLine($0, until: data.period.until, text: text, calendar: calendar) })

        add(
            text(.digestChangesTitle, [.count: "\(data.stageChanges.count)"]),
            capped(
                data.stageChanges,
                summary: [text(.digestByStage, [.counts: counts(data.stageChanges.map { text.stage($0.to) }, text: text)])]
            ) { change in
                var values: [Placeholder: String] = [.number: "\(change.number)", .title: clean(change.title), .to: text.stage(change.to)]
                guard let from = change.from else { return text(.digestChangesLineTo, values) }
                values[.from] = text.stage(from)
                return text(.digestChangesLine, values)
            })

        add(
            text(.digestClustersTitle, [.count: "\(data.clusters.count)"]),
            capped(data.clusters, limit: clusterLimit) { cluster in
                var rows: [RichText] = []
                for (offset, idea) in cluster.ideas.enumerated() {
                    rows.append(text(offset == 0 ? .digestClustersFirst : .digestClustersMore, text.idea(idea)))
                }
                if cluster.suggestion.count == 2 {
                    rows.append(
                        text(.digestClustersHint, [.first: "\(cluster.suggestion[0])", .second: "\(cluster.suggestion[1])"]))
                }
                return DigestSection.rows(rows)
            })

        let today = calendar.day(of: data.period.until)
        add(
            text(.digestChallengesTitle, [.count: "\(data.challenges.count)"]),
            data.challenges.map { challenge in
                var line = text(
                    .digestChallengesLine,
                    [
                        .number: "\(challenge.number)", .title: clean(challenge.title),
                        .deadline: challenge.deadline.description, .total: "\(challenge.ideas)",
                        .new: "\(challenge.newIdeas)",
                    ])
                if challenge.deadline < today {
                    line.append(text(.digestChallengesPassed, [.number: "\(challenge.number)"]))
                }
                return line
            })

        if data.guideActions > 0 { add(RichText(), [text(.digestThanks)]) }
        return DigestDocument(title: title, sections: sections, continued: continued)
    }

    /// A guide's inbox, or nil when it is empty. Each section shows at most `guideSectionLimit` lines.
    public static func buildGuide(
        _ data: GuideDigestData, language: Language, prompts: PromptCatalog, calendar: WorkingCalendar
    ) -> DigestDocument? {
        guard !data.isEmpty else { return nil }
        let text = Texts(prompts: prompts, language: language)
        var sections: [DigestSection] = []
        func add(_ heading: PromptKey, _ lines: [RichText]) {
            guard !lines.isEmpty else { return }
            var shown = Array(lines.prefix(guideSectionLimit))
            if lines.count > shown.count { shown.append(text(.digestGuideMore, [.count: "\(lines.count - shown.count)"])) }
            sections.append(DigestSection(heading: text(heading, [.count: "\(lines.count)"]), lines: shown))
        }
        func line(_ idea: DigestIdea) -> RichText {
            var values = text.idea(idea)
            values[.stage] = text.stage(idea.stage)
            return text(.digestGuideLine, values)
        }
        add(.digestGuideOverdueTitle, data.overdue.map { overdueLine($0, until: data.period.until, text: text, calendar: calendar) })
        add(.digestGuideWaitingTitle, data.waiting.map(line))
        add(.digestGuideAssignedTitle, data.assigned.map(line))
        sections.append(DigestSection(heading: RichText(), lines: [text(.pipelineInboxHint)]))
        return DigestDocument(
            title: text(.digestGuideTitle, period(data.period, calendar: calendar)), sections: sections,
            continued: text(.digestContinued))
    }

    /// Whether any list of the digest is longer than it shows (the full lists are then worth a file).
    public static func isCut(_ data: DigestData) -> Bool {
        [data.newIdeas.count, data.overdue.count, data.stageChanges.count].contains { $0 > sectionLimit }
            || data.clusters.count > clusterLimit
    }

    /// The text sent with the file of full lists: `digest.file_caption` with the period's first and last day.
    public static func fileCaption(
        _ period: DigestPeriod, language: Language, prompts: PromptCatalog, calendar: WorkingCalendar
    ) -> RichText {
        Texts(prompts: prompts, language: language)(.digestFileCaption, self.period(period, calendar: calendar))
    }

    /// The period's first and last local day, `YYYY-MM-DD` (for the file's name).
    public static func days(_ period: DigestPeriod, calendar: WorkingCalendar) -> (from: String, to: String) {
        let days = self.period(period, calendar: calendar)
        return (days[.from] ?? "", days[.to] ?? "")
    }

    // MARK: Parts

    /// "Skola 120 · Socialtjänst 98 · övriga 40": how often each name occurs, most first, at most `countsLimit`.
    private static func counts(_ names: [String], text: Texts) -> String {
        let tally = Dictionary(grouping: names, by: { $0 }).map { ($0.key, $0.value.count) }
            .sorted { ($0.1, $1.0) > ($1.1, $0.0) }
        var items = tally.prefix(countsLimit).map { text(.digestCountItem, [.name: $0.0, .count: "\($0.1)"]).plainText }
        let rest = tally.dropFirst(countsLimit).reduce(0) { $0 + $1.1 }
        if rest > 0 { items.append(text(.digestCountOthers, [.count: "\(rest)"]).plainText) }
        return items.joined(separator: text(.digestFunnelSeparator).plainText)
    }

    private static func overdueLine(
        _ overdue: DigestOverdue, until: Date, text: Texts, calendar: WorkingCalendar
    ) -> RichText {
        let days = workingDays(from: overdue.waitingSince, to: until, calendar: calendar)
        var values = text.idea(overdue.idea)
        values[.days] = days == 1 ? text(.digestDaysOne).plainText : text(.digestDays, [.count: "\(days)"]).plainText
        values[.guide] =
            overdue.followers.isEmpty
            ? text(.digestNoGuide).plainText : overdue.followers.map(\.rawValue).map(clean).joined(separator: ", ")
        switch overdue.kind {
        case .followup: return text(.digestOverdueFollowup, values)
        case .escalated: return text(.digestOverdueEscalated, values)
        case .stale:
            values[.stage] = text.stage(overdue.idea.stage)
            return text(.digestOverdueStale, values)
        }
    }

    /// `from` and `to`: the period's first and last local day (its end is exclusive).
    private static func period(_ period: DigestPeriod, calendar: WorkingCalendar) -> [Placeholder: String] {
        let first = calendar.day(of: period.since)
        let last = period.until > period.since ? calendar.day(of: period.until.addingTimeInterval(-0.001)) : first
        return [.from: first.description, .to: last.description]
    }

    /// Whole working days of working time between two instants (the calendar's hours, days and holidays).
    public static func workingDays(from start: Date, to end: Date, calendar: WorkingCalendar) -> Int {
        guard end > start else { return 0 }
        let dayLength = Int(calendar.workingDayLength.components.seconds)
        guard dayLength > 0 else { return 0 }
        var seconds = 0
        var day = calendar.day(of: start).adding(days: -1)
        let last = calendar.day(of: end).adding(days: 1)
        while day <= last {
            if let interval = calendar.workingInterval(on: day) {
                let low = max(interval.lowerBound, start)
                let high = min(interval.upperBound, end)
                if high > low { seconds += Int(high.timeIntervalSince(low).rounded()) }
            }
            day = day.adding(days: 1)
        }
        return seconds / dayLength
    }

    /// User text on one line: whitespace and control characters folded to single spaces, direction
    /// overrides and isolates dropped, at most `fieldLimit` characters (cut with an ellipsis).
    public static func clean(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var space = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace || scalar.properties.generalCategory == .control
                || scalar.properties.generalCategory == .lineSeparator
                || scalar.properties.generalCategory == .paragraphSeparator
            {
                space = !out.isEmpty
                continue
            }
            if bidiControls.contains(scalar.value) { continue }
            if space {
                out.append(" ")
                space = false
            }
            out.append(scalar)
        }
        let folded = String(out)
        guard folded.count > fieldLimit else { return folded }
        return String(folded.prefix(fieldLimit - 1)) + "…"
    }

    /// Explicit direction marks, embeddings, overrides and isolates: they can reorder what a line shows.
    private static let bidiControls: Set<UInt32> = [
        0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069,
    ]
}

/// The prompts in one language, with the display names the digest needs.
struct Texts {
    let prompts: PromptCatalog
    let language: Language

    func callAsFunction(_ key: PromptKey, _ values: [Placeholder: String] = [:]) -> RichText {
        prompts.text(key, language, values)
    }

    func stage(_ stage: IdeaStage) -> String { prompts.text(PromptKey.stage(stage), language).plainText }

    /// `number`, `title` and `unit` of an idea, cleaned.
    func idea(_ idea: DigestIdea) -> [Placeholder: String] {
        let unit = idea.unit.map(DigestBuilder.clean).flatMap { $0.isEmpty ? nil : $0 }
        return [
            .number: "\(idea.number)", .title: DigestBuilder.clean(idea.title),
            .unit: unit ?? self(.digestNoUnit).plainText,
        ]
    }

    /// A `benefits.*` choice by its display name, or the free text, cleaned.
    func benefits(_ value: String) -> String {
        BenefitChoice(rawValue: value).map { self(.benefit($0)).plainText } ?? DigestBuilder.clean(value)
    }
}
