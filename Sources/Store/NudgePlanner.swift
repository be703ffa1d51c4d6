import Chat
import Foundation
import GRDB
import Intake

/// What a planning pass changes: nudges to insert, pending ones whose due time moved, pending ones no
/// longer called for.
public struct NudgePlanChanges: Sendable {
    public struct Move: Sendable, Equatable {
        public var id: Int64
        public var dueAt: Date
    }

    public var insert: [PlannedNudge] = []
    public var move: [Move] = []
    public var cancel: [Int64] = []

    public init() {}

    public var isEmpty: Bool { insert.isEmpty && move.isEmpty && cancel.isEmpty }
}

/// One nudge the current state of the store calls for.
public struct PlannedNudge: Sendable, Equatable {
    public var kind: Nudge.Kind
    public var recipient: UserID
    public var ideaNumber: Int?
    public var dueAt: Date
    public var dedupeKey: String
    /// The challenge a deadline reminder is about.
    public var campaignNumber: Int?

    public init(
        kind: Nudge.Kind, recipient: UserID, ideaNumber: Int?, dueAt: Date, dedupeKey: String, campaignNumber: Int? = nil
    ) {
        self.kind = kind
        self.recipient = recipient
        self.ideaNumber = ideaNumber
        self.dueAt = dueAt
        self.dedupeKey = dedupeKey
        self.campaignNumber = campaignNumber
    }
}

/// Derives the nudges from the store (SkavBot.docc/Nudges.md). Planning is a pass over the state, run by the
/// scheduler before it sends: the desired nudges are inserted (the unique dedupe key makes that
/// idempotent), pending ones whose basis moved get the new due time, and pending ones no longer called
/// for are cancelled. Due times come from the working calendar, so a nudge is never due outside working time.
public struct NudgePlanner: Sendable {
    public var calendar: WorkingCalendar
    public var settings: NudgeSettings
    public var roles: Roles

    public init(calendar: WorkingCalendar, settings: NudgeSettings, roles: Roles) {
        self.calendar = calendar
        self.settings = settings
        self.roles = roles
    }

    private func after(_ span: NudgeSettings.Span, _ date: Date) -> Date {
        calendar.addingWorkingTime(span.duration(in: calendar), to: date)
    }

    /// The idea-bound nudges the idea calls for now.
    public func desired(for idea: Idea, history: [IdeaEvent], now: Date) -> [PlannedNudge] {
        var planned: [PlannedNudge] = []
        switch idea.stage {
        case .utkast:
            // The last activity on a draft is its last change.
            let park = after(settings.draftParkAfter, idea.updatedAt)
            if history.contains(where: { $0.kind == .parked && $0.actor == idea.author && $0.at >= idea.updatedAt
                && $0.comment == Self.parkComment })
            {
                return []
            }
            let remind = after(settings.draftReminderAfter, idea.updatedAt)
            // A draft older than the parking time (e.g. from before nudges existed) is only parked.
            if remind < park && park > now {
                planned.append(
                    PlannedNudge(
                        kind: .draftReminder, recipient: idea.author, ideaNumber: idea.number, dueAt: remind,
                        dedupeKey: "draft_reminder:\(idea.number)"))
            }
            planned.append(
                PlannedNudge(
                    kind: .draftPark, recipient: idea.author, ideaNumber: idea.number, dueAt: park,
                    dedupeKey: "draft_park:\(idea.number)"))
        case .inkommen:
            guard let submitted = idea.submittedAt, idea.guide == nil else { return [] }
            // A guide acted when anyone but the idea-giver did something with the idea since it came in.
            if history.contains(where: { $0.actor != idea.author && $0.at >= submitted }) { return [] }
            let guides = roles.guides(of: idea.unit)
            let followers = guides.isEmpty ? roles.coordinators : guides
            let escalate = after(settings.guideEscalateAfter, submitted)
            let follow = after(settings.guideFollowupAfter, submitted)
            // An idea already past its escalation (e.g. from before nudges existed) is only escalated.
            if guides.isEmpty || (follow < escalate && escalate > now) {
                for user in followers {
                    planned.append(
                        PlannedNudge(
                            kind: .guideFollowup, recipient: user, ideaNumber: idea.number, dueAt: follow,
                            dedupeKey: "guide_followup:\(idea.number):\(user.rawValue)"))
                }
            }
            if !guides.isEmpty {
                for user in roles.coordinators where !guides.contains(user) {
                    planned.append(
                        PlannedNudge(
                            kind: .guideEscalation, recipient: user, ideaNumber: idea.number, dueAt: escalate,
                            dedupeKey: "guide_escalation:\(idea.number):\(user.rawValue)"))
                }
            }
        case .utvecklas, .testas:
            // The last update: the latest line of the idea's history (or its last change).
            let last = max(idea.updatedAt, history.map(\.at).max() ?? idea.updatedAt)
            let due = after(settings.staleStageAfter, last)
            let recipients = idea.guide.map { [$0] } ?? roles.recipients(for: idea)
            let basis = Int(last.timeIntervalSince1970)
            for user in recipients {
                planned.append(
                    PlannedNudge(
                        kind: .staleStage, recipient: user, ideaNumber: idea.number, dueAt: due,
                        dedupeKey: "stale_stage:\(idea.number):\(idea.stage.rawValue):\(basis):\(user.rawValue)"))
            }
        case .bedoms, .realiserad, .parkerad, .avslutad:
            break
        }
        return planned
    }

    /// The comment of the history line written when a draft is parked by the scheduler.
    public static let parkComment = "nudge"

    /// The next weekly slot at or after `now`, moved to the next working moment; its key names the slot's day.
    public func weeklyCheckin(for user: UserID, now: Date) -> PlannedNudge {
        let slot = settings.weeklyCheckin
        var day = calendar.day(of: now)
        while true {
            if day.weekday == slot.day {
                let moment = calendar.instant(localSeconds: day.daysSince1970 * 86_400 + slot.time.minutes * 60)
                if moment >= now {
                    return PlannedNudge(
                        kind: .weeklyCheckin, recipient: user, ideaNumber: nil,
                        dueAt: calendar.nextWorkingMoment(atOrAfter: moment),
                        dedupeKey: "weekly:\(user.rawValue):\(day)")
                }
            }
            day = day.adding(days: 1)
        }
    }

    /// When a running challenge's reminders are due: halfway through, and two working days before the last
    /// day (at the start of working hours). Either is nil when it would come before the challenge opened, after
    /// its deadline, or (halfway) not before the deadline reminder.
    public func challengeReminderTimes(for campaign: Campaign) -> (halfway: Date?, deadline: Date?) {
        guard campaign.closedAt == nil else { return (nil, nil) }
        let end = calendar.startOfDay(campaign.deadline.adding(days: 1))
        var day = campaign.deadline
        var found = 0
        for _ in 0..<60 where found < 2 {
            day = day.adding(days: -1)
            if calendar.isWorkingDay(day) { found += 1 }
        }
        var deadlineDue: Date?
        if found == 2, let interval = calendar.workingInterval(on: day), interval.lowerBound > campaign.openedAt {
            deadlineDue = interval.lowerBound
        }
        let middle = campaign.openedAt.addingTimeInterval(end.timeIntervalSince(campaign.openedAt) / 2)
        let halfway = calendar.nextWorkingMoment(atOrAfter: middle)
        let halfwayDue = halfway < (deadlineDue ?? end) && halfway < end ? halfway : nil
        return (halfwayDue, deadlineDue)
    }

    /// The deadline reminders of a running challenge for one person who opted in.
    public func challengeReminders(for campaign: Campaign, recipient: UserID) -> [PlannedNudge] {
        challengeReminders(for: campaign, recipient: recipient, times: challengeReminderTimes(for: campaign))
    }

    private func challengeReminders(
        for campaign: Campaign, recipient: UserID, times: (halfway: Date?, deadline: Date?)
    ) -> [PlannedNudge] {
        var planned: [PlannedNudge] = []
        if let halfway = times.halfway {
            planned.append(
                PlannedNudge(
                    kind: .challengeHalfway, recipient: recipient, ideaNumber: nil, dueAt: halfway,
                    dedupeKey: "challenge_halfway:\(campaign.number):\(recipient.rawValue)", campaignNumber: campaign.number))
        }
        if let deadline = times.deadline {
            planned.append(
                PlannedNudge(
                    kind: .challengeDeadline, recipient: recipient, ideaNumber: nil, dueAt: deadline,
                    dedupeKey: "challenge_deadline:\(campaign.number):\(recipient.rawValue)", campaignNumber: campaign.number))
        }
        return planned
    }

    /// The challenge reminders the store calls for now: for each running challenge (its times computed once),
    /// each person who opted in and has not sent an idea to it.
    func desiredChallengeReminders(in tx: IntakeTransaction, now: Date) throws -> [PlannedNudge] {
        let today = calendar.day(of: now)
        let running = try tx.campaigns(includeClosed: false).filter { $0.isRunning(on: today) }
        guard !running.isEmpty else { return [] }
        let people = try tx.challengeUpdatePeople()
        var planned: [PlannedNudge] = []
        for campaign in running {
            let times = challengeReminderTimes(for: campaign)
            guard times.halfway != nil || times.deadline != nil else { continue }
            let contributors = Set(try tx.ideas(campaign: campaign.number).map(\.author))
            for person in people where !contributors.contains(person.id) {
                planned += challengeReminders(for: campaign, recipient: person.id, times: times)
            }
        }
        return planned
    }

    /// Whether one challenge reminder is still called for: its challenge runs, the person still wants the news
    /// and has not sent an idea to it, and the reminder is still the one planned. Constant work per reminder.
    func isChallengeReminderWarranted(_ nudge: Nudge, in tx: IntakeTransaction, now: Date) throws -> Bool {
        guard let number = nudge.campaignNumber, let campaign = try tx.campaign(number: number),
            campaign.isRunning(on: calendar.day(of: now)), try tx.person(nudge.recipient)?.challengeUpdates == true
        else { return false }
        let sent = try Int.fetchOne(
            tx.db, sql: "SELECT 1 FROM idea WHERE campaign = ? AND author = ? AND stage != ? LIMIT 1",
            arguments: [number, nudge.recipient.rawValue, IdeaStage.utkast.rawValue])
        guard sent == nil else { return false }
        return challengeReminders(for: campaign, recipient: nudge.recipient).contains { $0.dedupeKey == nudge.dedupeKey }
    }

    /// One planning pass in one transaction; returns how many nudges were added, moved or cancelled.
    /// (The scheduler computes the changes from a read snapshot and writes them in a short transaction
    /// of their own: `changes(in:now:)` and `apply(_:in:now:)`.)
    @discardableResult
    public func plan(in tx: IntakeTransaction, now: Date) throws -> Int {
        try apply(changes(in: tx, now: now), in: tx, now: now)
    }

    /// What one planning pass would change, read from the store: nothing is written. The histories of the
    /// open ideas are read in batches and the existing nudges by their keys in bulk, so a pass over an
    /// intake of 100,000 ideas is a handful of queries.
    public func changes(in tx: IntakeTransaction, now: Date) throws -> NudgePlanChanges {
        var desiredNudges: [PlannedNudge] = []
        let open = try tx.drafts() + tx.ideas(stages: [.inkommen, .utvecklas, .testas], unit: nil)
        let histories = try tx.events(ofIdeas: open.map(\.number))
        for idea in open {
            desiredNudges += desired(for: idea, history: histories[idea.number] ?? [], now: now)
        }
        desiredNudges += try desiredChallengeReminders(in: tx, now: now)
        let weekly = try tx.weeklyCheckinPeople()
        desiredNudges += weekly.map { weeklyCheckin(for: $0.id, now: now) }

        let existing = try tx.nudges(dedupeKeys: desiredNudges.map(\.dedupeKey))
        var changes = NudgePlanChanges()
        var desiredKeys = Set<String>()
        for nudge in desiredNudges where desiredKeys.insert(nudge.dedupeKey).inserted {
            guard let found = existing[nudge.dedupeKey] else {
                changes.insert.append(nudge)
                continue
            }
            if found.doneAt == nil, found.dueAt != nudge.dueAt, let id = found.id, nudge.kind != .weeklyCheckin {
                changes.move.append(NudgePlanChanges.Move(id: id, dueAt: nudge.dueAt))
            }
        }
        let opted = Set(weekly.map(\.id))
        for pending in try tx.pendingNudges() {
            guard let id = pending.id else { continue }
            let wanted =
                pending.kind == .weeklyCheckin ? opted.contains(pending.recipient) : desiredKeys.contains(pending.dedupeKey)
            if !wanted { changes.cancel.append(id) }
        }
        return changes
    }

    /// Writes a pass's changes; returns how many took effect. Safe on a store that moved on since the changes
    /// were read: a key that exists by now is not inserted again, and only pending nudges are moved or cancelled.
    @discardableResult
    public func apply(_ changes: NudgePlanChanges, in tx: IntakeTransaction, now: Date) throws -> Int {
        var applied = 0
        for nudge in changes.insert {
            let inserted = try tx.planNudge(
                Nudge(
                    kind: nudge.kind, recipient: nudge.recipient, ideaNumber: nudge.ideaNumber, dueAt: nudge.dueAt,
                    dedupeKey: nudge.dedupeKey, createdAt: now, campaignNumber: nudge.campaignNumber))
            if inserted { applied += 1 }
        }
        for move in changes.move {
            try tx.setNudgeDue(move.id, to: move.dueAt)
            applied += tx.db.changesCount
        }
        let today = calendar.day(of: now)
        for id in changes.cancel {
            try tx.finishNudge(id, outcome: .cancelled, at: now, day: today)
            applied += tx.db.changesCount
        }
        return applied
    }

    /// Whether a pending nudge is still called for by the state of the store (checked again at send time).
    public func isWarranted(_ nudge: Nudge, in tx: IntakeTransaction, now: Date) throws -> Bool {
        if nudge.kind == .weeklyCheckin { return try tx.person(nudge.recipient)?.weeklyCheckin == true }
        if nudge.kind == .challengeHalfway || nudge.kind == .challengeDeadline {
            return try isChallengeReminderWarranted(nudge, in: tx, now: now)
        }
        guard let number = nudge.ideaNumber, let idea = try tx.idea(number: number) else { return false }
        return desired(for: idea, history: try tx.events(ofIdea: number), now: now)
            .contains { $0.dedupeKey == nudge.dedupeKey }
    }
}

extension WorkingCalendar {
    /// Local midnight at the start of `day` (the first instant after a gap if midnight is skipped).
    public func startOfDay(_ day: CivilDate) -> Date {
        instant(localSeconds: day.daysSince1970 * 86_400)
    }
}
