import Chat
import Conversation
import Foundation
import Intake
import Logging
import ServiceLifecycle

/// What happened to one due nudge in a scheduler pass.
public struct NudgeLogLine: Sendable, Equatable {
    public var at: Date
    public var kind: Nudge.Kind
    public var recipient: UserID
    public var ideaNumber: Int?
    public var outcome: Nudge.Outcome
}

/// Sends nudges (DESIGN.md §4). Each pass: plan from the store (one transaction), then for each due nudge,
/// in ONE transaction, decide (still called for, opt-out, pause, the per-day cap of voluntary nudges),
/// write its outbox entry with the stable transaction id `nudge.<id>` and mark it done — so a crash either
/// leaves both undone (the next pass does it again) or both done (the outbox sender delivers it, once).
/// A nudge found due outside working time moves to the next working moment.
public final class NudgeScheduler: Service, Sendable {
    private let store: IntakeStore
    public let planner: NudgePlanner
    private let prompts: PromptCatalog
    private let defaultLanguage: Language
    private let wake: WakeSignal?
    private let ready: ReadyGate?
    private let crashpoints: Crashpoints
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let sleep: @Sendable (Duration) async throws -> Void
    /// The longest pause between passes (new drafts and submits are found by the next pass).
    public let tick: Duration

    public init(
        store: IntakeStore, planner: NudgePlanner, prompts: PromptCatalog, defaultLanguage: Language,
        wake: WakeSignal? = nil, ready: ReadyGate? = nil, crashpoints: Crashpoints = Crashpoints(specification: nil),
        logger: Logger, now: @escaping @Sendable () -> Date = { Date() },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        tick: Duration? = nil
    ) {
        self.store = store
        self.planner = planner
        self.prompts = prompts
        self.defaultLanguage = defaultLanguage
        self.wake = wake
        self.ready = ready
        self.crashpoints = crashpoints
        self.logger = logger
        self.now = now
        self.sleep = sleep
        self.tick = tick ?? Self.defaultTick(planner)
    }

    /// A third of the shortest configured span, between 1 s and 60 s: seconds-scale test configs stay prompt.
    static func defaultTick(_ planner: NudgePlanner) -> Duration {
        let s = planner.settings
        let spans = [s.draftReminderAfter, s.draftParkAfter, s.guideFollowupAfter, s.guideEscalateAfter, s.staleStageAfter]
        let shortest = spans.map { $0.duration(in: planner.calendar) }.min() ?? .seconds(60)
        return min(.seconds(60), max(.seconds(1), shortest / 3))
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            // Polled, not awaited: the gate wakes one waiter only, and that is the outbox sender.
            // A cancelled sleep is the graceful shutdown: return normally.
            func pause(_ delay: Duration) async -> Bool {
                do {
                    try await self.sleep(delay)
                    return !Task.isCancelled
                } catch {
                    return false
                }
            }
            while let ready = self.ready, !ready.opened {
                if !(await pause(.milliseconds(200))) { return }
            }
            while !Task.isCancelled {
                let moment = self.now()
                var delay = self.tick
                do {
                    let pass = try self.runOnce(now: moment)
                    if let next = pass.nextDue {
                        let seconds = max(0.05, next.timeIntervalSince(moment))
                        delay = min(delay, .milliseconds(Int64(seconds * 1000)))
                    }
                } catch {
                    self.logger.error("nudge pass failed; trying again later", metadata: ["error": "\(error)"])
                }
                if !(await pause(delay)) { return }
            }
        }
    }

    public struct Pass: Sendable {
        public var log: [NudgeLogLine] = []
        /// The earliest due time still pending.
        public var nextDue: Date?
    }

    /// One pass at `now`: plan, then handle every due nudge. Never sleeps; tests drive it with a mock clock.
    @discardableResult
    public func runOnce(now: Date) throws -> Pass {
        var pass = Pass()
        try store.write { tx in _ = try planner.plan(in: tx, now: now) }
        let due = try store.read { try $0.dueNudges(at: now) }
        var wrote = false
        for candidate in due {
            guard let id = candidate.id else { continue }
            let line = try store.write { tx in try self.handle(id, in: tx, now: now) }
            if let line {
                pass.log.append(line)
                if line.outcome == .sent {
                    wrote = true
                    crashpoints.reached(.afterNudge)
                }
            }
        }
        if wrote { wake?.wake() }
        pass.nextDue = try store.read { try $0.nextNudgeDue() }
        return pass
    }

    /// Decides one nudge inside the caller's transaction; nil when it is not done yet (moved or gone).
    func handle(_ id: Int64, in tx: IntakeTransaction, now: Date) throws -> NudgeLogLine? {
        guard let nudge = try tx.nudge(id: id), nudge.doneAt == nil, nudge.dueAt <= now else { return nil }
        let calendar = planner.calendar
        let today = calendar.day(of: now)
        func finish(_ outcome: Nudge.Outcome) throws -> NudgeLogLine {
            try tx.finishNudge(id, outcome: outcome, at: now, day: today)
            return NudgeLogLine(
                at: now, kind: nudge.kind, recipient: nudge.recipient, ideaNumber: nudge.ideaNumber, outcome: outcome)
        }
        if !calendar.isWorkingMoment(now) {
            try tx.setNudgeDue(id, to: calendar.nextWorkingMoment(atOrAfter: now))
            return nil
        }
        guard try planner.isWarranted(nudge, in: tx, now: now) else { return try finish(.cancelled) }
        let person = try tx.person(nudge.recipient)
        if nudge.kind.isVoluntary {
            if person?.remindersOff == true { return try finish(.skippedOptOut) }
            if let until = person?.pausedUntil, until > now { return try finish(.skippedPaused) }
            if try tx.voluntaryNudgesSent(to: nudge.recipient, on: today) >= planner.settings.maxVoluntaryPerDay {
                return try finish(.skippedCap)
            }
        }
        let language = person?.language ?? defaultLanguage
        let body = try message(for: nudge, language: language, in: tx)
        try tx.enqueue(
            OutboxEntry(
                txnID: "nudge.\(id)", roomID: try tx.directRoom(of: nudge.recipient), recipient: nudge.recipient,
                body: body, createdAt: now))
        if let campaign = nudge.campaignNumber {
            // A reply to a deadline reminder is an idea for the challenge, like a reply to its announcement.
            try tx.recordCampaignPost(txnID: "nudge.\(id)", campaign: campaign)
        }
        if nudge.kind == .draftPark, let number = nudge.ideaNumber {
            try tx.appendEvent(
                IdeaEvent(
                    ideaNumber: number, at: now, actor: nudge.recipient, kind: .parked, fromStage: .utkast,
                    toStage: .utkast, comment: NudgePlanner.parkComment))
        }
        logger.info(
            "nudge sent",
            metadata: ["nudge.kind": "\(nudge.kind.rawValue)", "nudge.id": "\(id)", "idea": "\(nudge.ideaNumber ?? 0)"])
        return try finish(.sent)
    }

    private func message(for nudge: Nudge, language: Language, in tx: IntakeTransaction) throws -> RichText {
        var values: [String: String] = [:]
        if let number = nudge.ideaNumber, let idea = try tx.idea(number: number) {
            values["number"] = "\(number)"
            values["title"] = idea.title
            values["stage"] = prompts.text(PromptKey.stage(idea.stage), language).plainText
            values["unit"] = idea.unit ?? prompts.text(.pipelineNoUnit, language).plainText
        }
        if let number = nudge.campaignNumber, let campaign = try tx.campaign(number: number) {
            values["challenge"] = "\(number)"
            values["title"] = campaign.title
            values["question"] = campaign.question
            values["deadline"] = campaign.deadline.description
        }
        let key: PromptKey
        switch nudge.kind {
        case .draftReminder: key = .nudgeDraftReminder
        case .draftPark: key = .nudgeDraftPark
        case .guideFollowup: key = .nudgeGuideFollowup
        case .guideEscalation: key = .nudgeGuideEscalation
        case .staleStage: key = .nudgeStaleStage
        case .weeklyCheckin: key = .nudgeWeeklyCheckin
        case .challengeHalfway: key = .nudgeChallengeHalfway
        case .challengeDeadline: key = .nudgeChallengeDeadline
        }
        return prompts.variant(key, language, seed: Int(nudge.id ?? 0), values)
    }
}
