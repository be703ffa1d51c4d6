import Chat
import Foundation
import Intake
import Prompts

/// The time a digest covers: `[since, until)`.
public struct DigestPeriod: Sendable, Equatable {
    public var since: Date
    public var until: Date

    public init(since: Date, until: Date) {
        self.since = since
        self.until = until
    }

    public func contains(_ date: Date) -> Bool { date >= since && date < until }
}

/// An idea as a digest line shows it: number, title and unit. Title and unit are the user's text as stored.
public struct DigestIdea: Sendable, Equatable {
    public var number: Int
    public var title: String
    public var unit: String?
    public var stage: IdeaStage

    public init(number: Int, title: String, unit: String?, stage: IdeaStage) {
        self.number = number
        self.title = title
        self.unit = unit
        self.stage = stage
    }

    public init(_ idea: Idea) {
        self.init(number: idea.number, title: idea.title, unit: idea.unit, stage: idea.stage)
    }
}

/// An idea nobody has acted on in time (SkavBot.docc/Nudges.md): the nudge planner's follow-up, escalation or
/// stale-stage reminder is due by the end of the period.
public struct DigestOverdue: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        /// *inkommen* and no guide action: the guide follow-up is due.
        case followup
        /// *inkommen* and still no guide action: the escalation to the coordinators is due too.
        case escalated
        /// *utvecklas*/*testas* with no update: the stale-stage reminder is due.
        case stale
    }

    public var idea: DigestIdea
    public var kind: Kind
    /// Since when it waits: the submission (follow-up, escalation) or the last update (stale).
    public var waitingSince: Date
    /// Who follows it up: the assigned guide, else the guides of its unit; empty when nobody is.
    public var followers: [UserID]

    public init(idea: DigestIdea, kind: Kind, waitingSince: Date, followers: [UserID]) {
        self.idea = idea
        self.kind = kind
        self.waitingSince = waitingSince
        self.followers = followers
    }
}

/// A snapshot of everything the coordinators' digest shows, loaded from the store by `DigestLoader.load`.
public struct DigestData: Sendable, Equatable {
    /// An idea submitted in the period.
    public struct NewIdea: Sendable, Equatable {
        public var idea: DigestIdea
        /// The titles of its challenge (configured theme and/or idea challenge), joined; nil when none.
        public var challenge: String?
        /// A `benefits.*` choice key (`residents`, `colleagues`, `businesses`, `other`) or the free text.
        public var benefits: String?

        public init(idea: DigestIdea, challenge: String? = nil, benefits: String? = nil) {
            self.idea = idea
            self.challenge = challenge
            self.benefits = benefits
        }
    }

    public struct StageCount: Sendable, Equatable {
        public var stage: IdeaStage
        public var count: Int
        public init(stage: IdeaStage, count: Int) {
            self.stage = stage
            self.count = count
        }
    }

    /// A stage change (an `idea_event` of kind `stage`) in the period.
    public struct StageChange: Sendable, Equatable {
        public var number: Int
        public var title: String
        public var from: IdeaStage?
        public var to: IdeaStage
        public var at: Date

        public init(number: Int, title: String, from: IdeaStage?, to: IdeaStage, at: Date) {
            self.number = number
            self.title = title
            self.from = from
            self.to = to
            self.at = at
        }
    }

    /// Similar ideas of different units that are not linked yet; `suggestion` is one pair to `koppla`.
    public struct Cluster: Sendable, Equatable {
        /// By number.
        public var ideas: [DigestIdea]
        /// Two numbers, lower first: the first similar, unlinked pair of different units.
        public var suggestion: [Int]

        public init(ideas: [DigestIdea], suggestion: [Int]) {
            self.ideas = ideas
            self.suggestion = suggestion
        }
    }

    /// An idea challenge that is not closed.
    public struct RunningChallenge: Sendable, Equatable {
        public var number: Int
        public var title: String
        public var deadline: CivilDate
        /// Ideas sent to it, all time.
        public var ideas: Int
        /// Of those, submitted in the period.
        public var newIdeas: Int

        public init(number: Int, title: String, deadline: CivilDate, ideas: Int, newIdeas: Int) {
            self.number = number
            self.title = title
            self.deadline = deadline
            self.ideas = ideas
            self.newIdeas = newIdeas
        }
    }

    public var period: DigestPeriod
    /// Submitted in the period, by number.
    public var newIdeas: [NewIdea]
    /// Every stage but drafts, in stage order, all time (zeros included).
    public var funnel: [StageCount]
    /// By kind (escalated, follow-up, stale), then by how long they have waited, longest first.
    public var overdue: [DigestOverdue]
    /// Oldest first.
    public var stageChanges: [StageChange]
    /// By their lowest number.
    public var clusters: [Cluster]
    /// By number.
    public var challenges: [RunningChallenge]
    /// Claims, stage changes and relayed messages in the period by someone other than the idea-giver:
    /// the team's work, thanked as a team (no per-person numbers).
    public var guideActions: Int

    public init(
        period: DigestPeriod, newIdeas: [NewIdea] = [], funnel: [StageCount] = [], overdue: [DigestOverdue] = [],
        stageChanges: [StageChange] = [], clusters: [Cluster] = [], challenges: [RunningChallenge] = [],
        guideActions: Int = 0
    ) {
        self.period = period
        self.newIdeas = newIdeas
        self.funnel = funnel
        self.overdue = overdue
        self.stageChanges = stageChanges
        self.clusters = clusters
        self.challenges = challenges
        self.guideActions = guideActions
    }

    /// Nothing happened and nothing waits: the digest is one calm line.
    public var isQuiet: Bool {
        newIdeas.isEmpty && stageChanges.isEmpty && overdue.isEmpty && clusters.isEmpty && challenges.isEmpty
    }
}

/// A guide's personal digest: their inbox. Every idea appears in one list only.
public struct GuideDigestData: Sendable, Equatable {
    public var guide: UserID
    public var period: DigestPeriod
    /// Ideas of the guide's units or assigned to them whose follow-up is overdue, as in the coordinators' digest.
    public var overdue: [DigestOverdue]
    /// Ideas of the guide's units with no guide yet (and not overdue), oldest first.
    public var waiting: [DigestIdea]
    /// Open ideas assigned to the guide (and not overdue), by number.
    public var assigned: [DigestIdea]

    public init(
        guide: UserID, period: DigestPeriod, overdue: [DigestOverdue] = [], waiting: [DigestIdea] = [],
        assigned: [DigestIdea] = []
    ) {
        self.guide = guide
        self.period = period
        self.overdue = overdue
        self.waiting = waiting
        self.assigned = assigned
    }

    public var isEmpty: Bool { overdue.isEmpty && waiting.isEmpty && assigned.isEmpty }
}
