import Chat
import Conversation
import Foundation
import Intake
import Logging
import ServiceLifecycle
import Prompts
import Store

/// Sends nudges (<doc:Nudges>). Each pass: plan from the store (one transaction), then for each due nudge,
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
    private let digests: DigestDelivery?

    public init(
        store: IntakeStore, planner: NudgePlanner, prompts: PromptCatalog, defaultLanguage: Language,
        wake: WakeSignal? = nil, ready: ReadyGate? = nil, crashpoints: Crashpoints = Crashpoints(specification: nil),
        logger: Logger, now: @escaping @Sendable () -> Date = { Date() },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        tick: Duration? = nil, digests: DigestDelivery? = nil
    ) {
        self.digests = digests
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
        var chosen = tick ?? Self.defaultTick(planner)
        if tick == nil, case .every(let interval)? = digests?.schedule { chosen = max(.seconds(1), min(chosen, interval / 4)) }
        self.tick = chosen
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
                    // Off the cooperative pool: planning over a large intake and a scheduled digest take time.
                    let pass = try await BlockingWork.run { try self.runOnce(now: moment) }
                    if let next = pass.nextDue {
                        // Clamped before any conversion: a stored due time may be anything.
                        delay = min(
                            delay, Duration.clamped(seconds: next.timeIntervalSince(moment), minimum: .milliseconds(50), maximum: delay))
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
        /// The scheduled digests sent in this pass, by key.
        public var digests: [String] = []
        /// The earliest due time still pending.
        public var nextDue: Date?
    }

    /// One pass at `now`: plan, then handle every due nudge. Never sleeps; tests drive it with a mock clock.
    @discardableResult
    public func runOnce(now: Date) throws -> Pass {
        var pass = Pass()
        // Planning reads the whole open intake: from a read snapshot, then a short write of the changes.
        let changes = try store.read { tx in try planner.changes(in: tx, now: now) }
        if !changes.isEmpty { try store.write { tx in _ = try planner.apply(changes, in: tx, now: now) } }
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
        if let digests {
            pass.digests = try deliverDigests(digests, now: now)
            if !pass.digests.isEmpty {
                wrote = true
                crashpoints.reached(.afterNudge)
            }
        }
        if wrote { wake?.wake() }
        pass.nextDue = try store.read { try $0.nextNudgeDue() }
        return pass
    }

    /// Sends the scheduled digests whose slot has come: each slot once (its `digest_run` row is written in the
    /// same transaction as its outbox entries), only at a working moment. Returns the keys sent.
    func deliverDigests(_ digests: DigestDelivery, now: Date) throws -> [String] {
        let calendar = planner.calendar
        guard calendar.isWorkingMoment(now) else { return [] }
        let baseline = try digestBaseline(now: now)
        func due(_ schedule: DigestSchedule) -> DigestSchedule.Slot? {
            guard let slot = schedule.latestSlot(atOrBefore: now, calendar: calendar), slot.due <= now,
                slot.due >= baseline
            else { return nil }
            return slot
        }
        var sent: [String] = []
        if let slot = due(digests.schedule) {
            let targets: [DigestTarget] =
                digests.coordinatorsRoom.map { [DigestTarget(room: $0, recipient: nil, suffix: "")] }
                ?? digests.coordinators.map { DigestTarget(room: nil, recipient: $0, suffix: TxnID.recipientSuffix($0)) }
            if let key = try deliverDigest(
                prefix: DigestRunKey.coordinatorsPrefix, schedule: digests.schedule, slot: slot, now: now,
                targets: targets, build: { tx, since in try digests.build(tx, since, now) })
            {
                sent.append(key)
                logger.info("digest sent", metadata: ["digest.key": "\(key)"])
            }
        }
        if !digests.guides.isEmpty, let slot = due(digests.schedule.guidesSchedule) {
            for guide in digests.guides {
                if let key = try deliverDigest(
                    prefix: DigestRunKey.guidePrefix(guide), schedule: digests.schedule.guidesSchedule, slot: slot,
                    now: now, targets: [DigestTarget(room: nil, recipient: guide, suffix: "")],
                    build: { tx, since in DigestMessages(parts: try digests.buildGuide(tx, guide, since, now)) })
                {
                    sent.append(key)
                }
            }
        }
        return sent
    }

    /// Where one digest's messages go: a room, or a person's direct chat (`suffix` tells several people apart).
    private struct DigestTarget {
        var room: RoomID?
        var recipient: UserID?
        var suffix: String
    }

    /// One audience's digest for `slot`, at most once: built from a read snapshot for the period since that
    /// audience's last digest, then enqueued to every target and recorded in `digest_run` in one short
    /// transaction. The run is recorded even
    /// when there was nothing to send (an empty inbox), so the slot is done either way. Returns the key when
    /// messages went out.
    private func deliverDigest(
        prefix: String, schedule: DigestSchedule, slot: DigestSchedule.Slot, now: Date, targets: [DigestTarget],
        build: (IntakeTransaction, Date) throws -> DigestMessages
    ) throws -> String? {
        let key = prefix + slot.key
        let calendar = planner.calendar
        // The long part from a read snapshot: the conversation's writes go on meanwhile.
        let built = try store.read { tx -> (since: Date, digest: DigestMessages)? in
            guard try !tx.digestSent(key: key) else { return nil }
            let since = try tx.lastDigestUntil(prefix: prefix)
                ?? Self.previousNominal(schedule, before: slot, calendar: calendar)
            return (since, try build(tx, since))
        }
        guard let (since, digest) = built else { return nil }
        // Then one short transaction: the messages (and the file of full lists) and the run, once.
        let sent = try store.write { tx -> Bool in
            guard try !tx.digestSent(key: key) else { return false }
            let perTarget = try targets.map { target in
                digest.entries(
                    txnPrefix: .digestRun(key), suffix: target.suffix,
                    roomID: try target.room ?? target.recipient.flatMap { try tx.directRoom(of: $0) },
                    recipient: target.recipient, at: now)
            }
            // Part by part, to every target.
            for index in 0..<digest.count {
                for entries in perTarget { try tx.enqueue(entries[index]) }
            }
            try tx.recordDigest(key: key, since: since, until: now, parts: digest.count, at: now)
            return !digest.parts.isEmpty
        }
        return sent ? key : nil
    }

    /// Slots that fell due before digests were first scheduled are not caught up: a new installation does not
    /// start with last week's digest. After that, a slot missed while the bot was down is sent late, once.
    /// Read on every pass; written once.
    private func digestBaseline(now: Date) throws -> Date {
        func stored(_ tx: IntakeTransaction) throws -> Date? {
            try tx.value(StoredKey.digestBaseline).flatMap(TimeInterval.init).map(Date.init(timeIntervalSince1970:))
        }
        if let known = try store.read(stored) { return known }
        return try store.write { tx -> Date in
            if let known = try stored(tx) { return known }
            try tx.setValue("\(now.timeIntervalSince1970)", for: StoredKey.digestBaseline)
            return now
        }
    }


    /// The start of the first period: the slot before `slot` (a calendar week or working day back, DST-safe).
    static func previousNominal(_ schedule: DigestSchedule, before slot: DigestSchedule.Slot, calendar: WorkingCalendar) -> Date {
        schedule.latestSlot(atOrBefore: slot.nominal.addingTimeInterval(-1), calendar: calendar)?.nominal
            ?? slot.nominal.addingTimeInterval(-slot.length)
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
                txnID: TxnID.nudge(id).rawValue, roomID: try tx.directRoom(of: nudge.recipient), recipient: nudge.recipient,
                body: body, createdAt: now, priority: .bulk))
        if let campaign = nudge.campaignNumber {
            // A reply to a deadline reminder is an idea for the challenge, like a reply to its announcement.
            try tx.recordCampaignPost(txnID: TxnID.nudge(id).rawValue, campaign: campaign)
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
        var values: [Placeholder: String] = [:]
        if let number = nudge.ideaNumber, let idea = try tx.idea(number: number) {
            values[.number] = "\(number)"
            values[.title] = idea.title
            values[.stage] = prompts.text(PromptKey.stage(idea.stage), language).plainText
            values[.unit] = idea.unit ?? prompts.text(.pipelineNoUnit, language).plainText
        }
        if let number = nudge.campaignNumber, let campaign = try tx.campaign(number: number) {
            values[.challenge] = "\(number)"
            values[.title] = campaign.title
            values[.question] = campaign.question
            values[.deadline] = campaign.deadline.description
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
