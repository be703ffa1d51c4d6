import Chat
import Foundation
import Digest
import Intake
import Prompts
import Store

/// Reads what a digest shows from the store, inside the caller's transaction (SkavBot.docc/Digests.md).
/// No clock: the period's end is "now" for everything that depends on time.
public enum DigestLoader {
    /// The stages of an inbox: ideas that still wait for someone to act.
    static let inboxStages: [IdeaStage] = [.inkommen, .bedoms, .utvecklas, .testas]
    /// Guide actions thanked in the digest.
    static let guideActionKinds: [IdeaEvent.Kind] = [.claimed, .stage, .message]

    /// Loads everything the coordinators' digest needs for the period, inside the caller's transaction.
    public static func load(
        _ tx: IntakeTransaction, period: DigestPeriod, planner: NudgePlanner, themes configured: [Theme]
    ) throws -> DigestData {
        var cache = IdeaCache(tx: tx)
        let submitted = try tx.ideas(submittedFrom: period.since, until: period.until)
        for idea in submitted { cache.remember(idea) }

        // New ideas, with their challenge titles.
        let themes = Dictionary(configured.map { ($0.key, $0.title) }, uniquingKeysWith: { first, _ in first })
        var campaignTitles: [Int: String?] = [:]
        var newIdeas: [DigestData.NewIdea] = []
        for idea in submitted {
            var titles: [String] = []
            if let key = idea.theme { titles.append(themes[key] ?? key) }
            if let number = idea.campaign {
                if campaignTitles[number] == nil { campaignTitles[number] = try tx.campaign(number: number)?.title }
                if let title = campaignTitles[number] ?? nil, !titles.contains(title) { titles.append(title) }
            }
            newIdeas.append(
                DigestData.NewIdea(
                    idea: DigestIdea(idea), challenge: titles.isEmpty ? nil : titles.joined(separator: ", "),
                    benefits: idea.benefits))
        }

        // The funnel, all time.
        let counts = try tx.ideaCountsByStage()
        let funnel = IdeaStage.allCases.filter { $0 != .utkast }.map {
            DigestData.StageCount(stage: $0, count: counts[$0] ?? 0)
        }

        // Overdue follow-ups: the candidates come from indexes, their histories in batches.
        let settings = planner.settings
        let calendar = planner.calendar
        let candidates = try tx.overdueCandidates(
            followupBefore: period.until.addingTimeInterval(-seconds(settings.guideFollowupAfter.duration(in: calendar))),
            staleBefore: period.until.addingTimeInterval(-seconds(settings.staleStageAfter.duration(in: calendar))))
        let histories = try tx.timelines(ofIdeas: candidates.map(\.number))
        var overdue: [DigestOverdue] = []
        var judge = OverdueJudge(planner: planner)
        for idea in candidates {
            if let found = judge.overdueness(of: idea, history: histories[idea.number] ?? [], at: period.until) {
                overdue.append(found)
            }
        }
        overdue.sort(by: overdueOrder)

        // Stage changes and the team's work.
        var changes: [DigestData.StageChange] = []
        var guideActions = 0
        let events = try tx.ideaEvents(from: period.since, until: period.until, kinds: guideActionKinds)
        try cache.prefetch(events.map(\.ideaNumber))
        for event in events {
            guard let idea = try cache.idea(event.ideaNumber) else { continue }
            if event.actor != idea.author { guideActions += 1 }
            if event.kind == .stage, let to = event.toStage {
                changes.append(
                    DigestData.StageChange(number: idea.number, title: idea.title, from: event.fromStage, to: to, at: event.at))
            }
        }

        let clusters = try self.clusters(of: submitted, in: tx, cache: &cache)

        // Running challenges.
        var running: [DigestData.RunningChallenge] = []
        for campaign in try tx.campaigns(includeClosed: false) where campaign.openedAt < period.until {
            let ideas = try tx.ideas(campaign: campaign.number)
            running.append(
                DigestData.RunningChallenge(
                    number: campaign.number, title: campaign.title, deadline: campaign.deadline, ideas: ideas.count,
                    newIdeas: ideas.filter { $0.submittedAt.map(period.contains) == true }.count))
        }

        return DigestData(
            period: period, newIdeas: newIdeas, funnel: funnel, overdue: overdue, stageChanges: changes,
            clusters: clusters, challenges: running, guideActions: guideActions)
    }

    /// A guide's personal weekly digest: their inbox (ideas of their units that wait, ideas assigned to them, overdue ones).
    public static func loadGuide(
        _ tx: IntakeTransaction, guide: UserID, period: DigestPeriod, planner: NudgePlanner
    ) throws -> GuideDigestData {
        let units = Set(planner.roles.units(guidedBy: guide))
        var data = GuideDigestData(guide: guide, period: period)
        var waiting: [Idea] = []
        let inbox = try tx.ideas(stages: inboxStages, unit: nil).filter { idea in
            idea.guide == guide || (idea.guide == nil && idea.unit.map(units.contains) == true)
        }
        let histories = try tx.events(ofIdeas: inbox.map(\.number))
        var judge = OverdueJudge(planner: planner)
        for idea in inbox {
            let mine = idea.guide == guide
            if let found = judge.overdueness(of: idea, history: histories[idea.number] ?? [], at: period.until) {
                data.overdue.append(found)
            } else if mine {
                data.assigned.append(DigestIdea(idea))
            } else {
                waiting.append(idea)
            }
        }
        data.overdue.sort(by: overdueOrder)
        waiting.sort { ($0.submittedAt ?? $0.createdAt, $0.number) < ($1.submittedAt ?? $1.createdAt, $1.number) }
        data.waiting = waiting.map(DigestIdea.init)
        return data
    }

    // MARK: Overdue

    static func seconds(_ duration: Duration) -> TimeInterval {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Escalated first, then follow-ups, then stale ideas; within each, the longest wait first.
    static func overdueOrder(_ a: DigestOverdue, _ b: DigestOverdue) -> Bool {
        func rank(_ kind: DigestOverdue.Kind) -> Int {
            switch kind {
            case .escalated: 0
            case .followup: 1
            case .stale: 2
            }
        }
        return (rank(a.kind), a.waitingSince, a.idea.number) < (rank(b.kind), b.waitingSince, b.idea.number)
    }

    // MARK: Clusters

    /// Similar ideas of other units per cluster (the cluster is a new idea and these).
    static let clusterMatches = 4
    /// Ideas of the period submitted before similar ideas were kept at submit are looked up now, at most this many.
    static let lazyLookups = 200

    /// For each idea of the period, the similar ideas of other units found when it was submitted (kept in
    /// the store, so a busy week costs one read per idea, not one search), not linked to it. Each cluster is
    /// a new idea and at most `clusterMatches` others: bounded, never chained into one cluster of thousands.
    /// A cluster contained in another is dropped; the rest are ranked by how many units they join. Ideas
    /// without a unit never join one: "another unit" cannot be told.
    static func clusters(of submitted: [Idea], in tx: IntakeTransaction, cache: inout IdeaCache) throws
        -> [DigestData.Cluster]
    {
        let withUnit = submitted.filter { $0.unit != nil }
        let stored = try tx.storedSimilarity(of: withUnit, lookingUpAtMost: lazyLookups)
        // The matches and the links of every idea, read in bulk.
        try cache.prefetch(stored.values.flatMap { $0.map(\.number) })
        let links = try tx.links(ofIdeas: withUnit.map(\.number))
        struct Candidate {
            var members: [Idea]
            var units: Int
            var suggestion: [Int]
        }
        var candidates: [Candidate] = []
        for idea in withUnit {
            guard let unit = idea.unit, let matches = stored[idea.number], !matches.isEmpty else { continue }
            let linked = Set(links[idea.number] ?? [])
            var members = [idea]
            for match in matches where members.count <= clusterMatches {
                guard !linked.contains(match.number), let other = try cache.idea(match.number), other.stage != .utkast,
                    let otherUnit = other.unit, otherUnit != unit
                else { continue }
                members.append(other)
            }
            guard members.count >= 2 else { continue }
            let pair = [min(idea.number, members[1].number), max(idea.number, members[1].number)]
            candidates.append(
                Candidate(
                    members: members.sorted { $0.number < $1.number }, units: Set(members.compactMap(\.unit)).count,
                    suggestion: pair))
        }
        // Most units joined first, then the larger, then the earliest.
        candidates.sort {
            ($0.units, $0.members.count, -($0.members.first?.number ?? 0))
                > ($1.units, $1.members.count, -($1.members.first?.number ?? 0))
        }
        // A cluster inside a kept one shares its first member with it: only the kept clusters holding that
        // member are asked (a busy week has a thousand clusters; asking each of them was quadratic).
        var kept: [Candidate] = []
        var keptHolding: [Int: [Set<Int>]] = [:]
        for candidate in candidates {
            let numbers = Set(candidate.members.map(\.number))
            guard let first = candidate.members.first?.number else { continue }
            if keptHolding[first]?.contains(where: { numbers.isSubset(of: $0) }) == true { continue }
            kept.append(candidate)
            for number in numbers { keptHolding[number, default: []].append(numbers) }
        }
        return kept.map { DigestData.Cluster(ideas: $0.members.map(DigestIdea.init), suggestion: $0.suggestion) }
    }
}

/// Whether ideas are overdue, as the nudge planner sees them (one judge per load: the planner it asks and the
/// followers of each unit are worked out once, not once per idea).
struct OverdueJudge {
    /// A coordinator no one is: with it the planner always has someone to plan for, so whether an idea is
    /// overdue depends on the idea and the calendar, not on who happens to be configured.
    static let probe = UserID("@skav-digest-probe:invalid")

    let planner: NudgePlanner
    private let probing: NudgePlanner
    private var followersOfUnit: [String?: [UserID]] = [:]

    init(planner: NudgePlanner) {
        self.planner = planner
        var probing = planner
        probing.roles = Roles(coordinators: [Self.probe], guides: planner.roles.guides)
        self.probing = probing
    }

    /// Whether the planner's follow-up, escalation or stale-stage reminder for the idea is due by `now`.
    mutating func overdueness(of idea: Idea, history: [IdeaEvent], at now: Date) -> DigestOverdue? {
        guard [.inkommen, .utvecklas, .testas].contains(idea.stage) else { return nil }
        let due = Set(probing.desired(for: idea, history: history, now: now).filter { $0.dueAt <= now }.map(\.kind))
        let kind: DigestOverdue.Kind
        let since: Date
        if due.contains(.guideEscalation) || due.contains(.guideFollowup), let submitted = idea.submittedAt {
            kind = due.contains(.guideEscalation) ? .escalated : .followup
            since = submitted
        } else if due.contains(.staleStage) {
            kind = .stale
            since = max(idea.updatedAt, history.map(\.at).max() ?? idea.updatedAt)
        } else {
            return nil
        }
        return DigestOverdue(idea: DigestIdea(idea), kind: kind, waitingSince: since, followers: followers(of: idea))
    }

    private mutating func followers(of idea: Idea) -> [UserID] {
        if let guide = idea.guide { return [guide] }
        if let known = followersOfUnit[idea.unit] { return known }
        let found = planner.roles.guides(of: idea.unit)
        followersOfUnit[idea.unit] = found
        return found
    }
}

/// Ideas read once per load.
struct IdeaCache {
    let tx: IntakeTransaction
    private var known: [Int: Idea?] = [:]

    init(tx: IntakeTransaction) { self.tx = tx }

    mutating func remember(_ idea: Idea) { known[idea.number] = idea }

    /// Reads the ideas not known yet in one query per 500 (instead of one query each when asked for).
    mutating func prefetch(_ numbers: [Int]) throws {
        let missing = Array(Set(numbers.filter { known[$0] == nil })).sorted()
        guard !missing.isEmpty else { return }
        let found = try tx.ideas(numbers: missing)
        for number in missing { known[number] = .some(found[number]) }
    }

    mutating func idea(_ number: Int) throws -> Idea? {
        if let found = known[number] { return found }
        let fetched = try tx.idea(number: number)
        known[number] = fetched
        return fetched
    }
}
