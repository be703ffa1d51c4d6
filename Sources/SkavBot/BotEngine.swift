import Chat
import Conversation
import CrashGuard
import Foundation
import Intake
import Logging
import Masking
import Synchronization
import Prompts
import Store

/// Turns incoming chat events into stored effects and outgoing messages.
///
/// The durability rule (<doc:Durability>): the effects of a whole batch (people, drafts, ideas, history,
/// conversation state, outbox entries with transaction ids derived from the event) and the new cursor are
/// committed in one SQLite transaction. Each event runs in a savepoint, so one event that fails rolls back
/// alone and the person gets a kind error message instead of the batch being stuck.
public final class BotEngine: Sendable {
    public let store: IntakeStore
    public let prompts: PromptCatalog
    public let settings: BotSettings
    private let logger: Logger
    private let floodGate: FloodGate
    private let crashpoints: Crashpoints
    /// Set by `glöm mig`: the write-ahead log still holds page copies with the person's id until the
    /// next checkpoint (`checkpointAfterForget`).
    private let forgotSinceCheckpoint = Mutex(false)

    public init(
        store: IntakeStore, prompts: PromptCatalog, settings: BotSettings, logger: Logger,
        crashpoints: Crashpoints = Crashpoints(specification: nil)
    ) {
        self.store = store
        self.prompts = prompts
        self.settings = settings
        self.logger = logger
        self.floodGate = FloodGate(limit: settings.flood)
        self.crashpoints = crashpoints
    }

    /// The stored sync cursor, nil before the first start.
    public func cursor() throws -> String? {
        try store.read { try $0.value(settings.cursorKey) }
    }

    /// Done nudges whose situation is over are kept this long (for `nudges simulate` and support questions).
    public static let nudgeRetention: TimeInterval = 30 * 86_400

    /// Servers never re-deliver an event this old, so its id need not be remembered longer.
    public static let processedRetention: TimeInterval = 30 * 86_400

    @discardableResult
    public func pruneProcessedEvents(now: Date) throws -> Int {
        let cutoff = now.addingTimeInterval(-Self.processedRetention)
        return try store.write { try $0.pruneProcessed(before: cutoff) }
    }

    @discardableResult
    public func process(_ batch: ChatBatch, now: Date) throws -> BatchOutcome {
        try store.write { tx in
            var outcome = BatchOutcome()
            // Events that were in flight when the process died (one cheap query when none ever did).
            let suspects = try tx.quarantineCandidates(batch.events.map(\.id))
            for event in batch.events {
                // Marked processed first, in the batch's transaction and outside the event's savepoint: what
                // follows is committed with the mark or not at all, as when the mark came last.
                guard try tx.markProcessed(event.id, at: now) else {
                    outcome.duplicates += 1
                    continue
                }
                if let suspect = suspects[event.id], suspect.isPoison {
                    outcome.quarantined += 1
                    outcome.outboxAdded += try setAside(event, deaths: suspect.deaths, in: tx, now: now)
                    continue
                }
                do {
                    // The breadcrumb names this event while it is handled: if it traps, the next start knows.
                    try CrashGuard.watch(InFlight(.event, event.id)) {
                        try tx.savepoint {
                            var digestRequested = false
                            let added = try self.handle(event, in: tx, now: now, digestRequested: &digestRequested)
                            if digestRequested { outcome.digestRequests += 1 }
                            if let added {
                                outcome.handled += 1
                                outcome.outboxAdded += added
                            } else {
                                outcome.ignored += 1
                            }
                        }
                    }
                    // It went through: an earlier death was not its fault, or a retry worked.
                    if suspects[event.id] != nil { try tx.clearQuarantine(event.id) }
                } catch let error as SavepointRollbackFailed {
                    throw error  // the batch is rolled back whole and read again
                } catch {
                    outcome.failed += 1
                    logger.error(
                        "event failed; answering with an apology",
                        metadata: ["event.id": "\(event.id)", "error": "\(error)"])
                    if case .message = event.kind, try tx.directRoomOwner(event.room) == event.sender {
                        let language = (try? tx.person(event.sender)?.language) ?? settings.conversation.defaultLanguage
                        if try tx.enqueue(
                            OutboxEntry(
                                txnID: TxnID.failure(of: event.id).rawValue, roomID: event.room,
                                body: prompts.text(.botInternalError, language), style: .notice, createdAt: now,
                                priority: .reply))
                        {
                            outcome.outboxAdded += 1
                        }
                    }
                }
            }
            try tx.setValue(batch.cursor, for: settings.cursorKey)
            return outcome
        }
    }

    /// Sets aside an event that took the process down twice: it is never handled again (until an operator
    /// puts it back), the person gets one apology in their direct chat, the operator one log line with the
    /// event id (never the text). Returns the outbox entries added.
    private func setAside(_ event: ChatEvent, deaths: Int, in tx: IntakeTransaction, now: Date) throws -> Int {
        try tx.hold(event.id, room: event.room, at: now)
        logger.error(
            "an incoming event took the process down twice and was set aside (skav quarantine list)",
            metadata: ["event.id": "\(event.id)", "room.id": "\(event.room)", "quarantine.deaths": "\(deaths)"])
        guard case .message = event.kind, try tx.directRoomOwner(event.room) == event.sender else { return 0 }
        let language = (try? tx.person(event.sender)?.language) ?? settings.conversation.defaultLanguage
        let apology = OutboxEntry(
            txnID: TxnID.quarantined(event.id).rawValue, roomID: event.room, body: prompts.text(.botQuarantined, language),
            style: .notice, createdAt: now, priority: .reply)
        return try tx.enqueue(apology) ? 1 : 0
    }

    /// Counts a death against the input that was in flight when the process last died of a fatal signal
    /// (read from the crash guard's breadcrumb at start).
    @discardableResult
    public func recordCrash(_ input: InFlight, now: Date) throws -> QuarantineEntry {
        let kind: QuarantineEntry.Kind = input.kind == .event ? .event : .sync
        let entry = try store.write { try $0.recordDeath(kind: kind, key: input.key, at: now) }
        logger.critical(
            "the previous run died while handling this input; it is set aside after \(QuarantineEntry.deathsToHold) deaths",
            metadata: ["quarantine.input": "\(input)", "quarantine.deaths": "\(entry.deaths)"])
        return entry
    }

    /// Handles one event; returns the number of outbox entries added, or nil when the event was ignored.
    private func handle(_ event: ChatEvent, in tx: IntakeTransaction, now: Date, digestRequested: inout Bool) throws -> Int? {
        // A membership change is about the room, whoever made it (the bot's own join included).
        if case .membership(let members) = event.kind { return try membershipChanged(members, event: event, tx: tx, now: now) }
        if event.sender == settings.botUser { return nil }
        var outbox = OutboxWriter(tx: tx, eventID: event.id, room: event.room, now: now)

        switch event.kind {
        case .invite(let isDirect, let encrypted):
            guard settings.isAllowed(event.sender) else {
                logger.notice("declining an invite from outside the allowed servers", metadata: ["room.id": "\(event.room)"])
                try outbox.add(kind: .leave)
                return outbox.added
            }
            if isConfiguredRoom(event.room) {
                // The coordinators' and the shared room are joined when a coordinator invites the bot; they are
                // never anyone's direct chat, whatever the invite says.
                guard settings.conversation.roles.isCoordinator(event.sender) else {
                    logger.notice(
                        "an invite to a configured room from someone who is not a coordinator; declining",
                        metadata: ["room.id": "\(event.room)"])
                    try outbox.add(kind: .leave)
                    return outbox.added
                }
                try outbox.add(kind: .join)
                return outbox.added
            }
            try outbox.add(kind: .join)
            let language = try tx.person(event.sender)?.language ?? settings.conversation.defaultLanguage
            if encrypted {
                try tx.setValue("sent", for: StoredKey.encryptedNotice(event.room))
                try moveToPlainDirectChat(event, language: language, outbox: &outbox, tx: tx)
            } else if isDirect, try !tx.retiredRoom(event.room).retired {
                // Taken for the person's direct chat until its members are known (`membershipChanged`): then the
                // greeting, or a notice and leaving when others are in it.
                try tx.setDirectRoom(event.room, for: event.sender, at: now)
                try tx.recordDirectInvite(event.room, from: event.sender, at: now)
            } else {
                try outbox.add(prompts.text(.botNotDirect, language), style: .notice)
                try outbox.add(kind: .leave)
            }
            return outbox.added

        case .membership:
            return nil  // handled above

        case .unreadable:
            // An encrypted message in a configured room is someone talking there: not for the bot to answer.
            guard settings.isAllowed(event.sender), !isConfiguredRoom(event.room) else { return nil }
            let key = StoredKey.encryptedNotice(event.room)
            if try tx.value(key) != nil { return nil }
            try tx.setValue("sent", for: key)
            let language = try tx.person(event.sender)?.language ?? settings.conversation.defaultLanguage
            try moveToPlainDirectChat(event, language: language, outbox: &outbox, tx: tx)
            return outbox.added

        case .message(let text):
            guard settings.isAllowed(event.sender) else {
                logger.notice("ignoring a message from outside the allowed servers", metadata: ["event.id": "\(event.id)"])
                return nil
            }
            // The challenge a reply is to: an announcement (in the shared room or a direct chat) or a reminder.
            let campaign = try event.inReplyTo.flatMap { try tx.campaign(announcedBy: $0) }
            if isConfiguredRoom(event.room) {
                // In the configured rooms only a reply to a challenge's announcement (in the shared room) is taken:
                // the idea goes on in the person's direct chat. Everything else there is people talking.
                guard campaign != nil, event.room == settings.sharedRoom else { return nil }
                outbox.recipient = event.sender
            } else {
                switch try tx.directRoomOwner(event.room) {
                case event.sender:
                    break  // the person's direct chat; whether a room was retired is read only for one without owner
                case nil:
                    let retired = try tx.retiredRoom(event.room)
                    if retired.retired {
                        // No direct chat any more: its former owner is answered in a fresh direct chat, others not at all.
                        guard retired.owner == event.sender else { return nil }
                        outbox.recipient = event.sender
                    } else if event.isDirectRoom == true {
                        try tx.setDirectRoom(event.room, for: event.sender, at: now)
                    } else {
                        return nil  // a group room is not a conversation
                    }
                default:
                    return nil  // someone else's room
                }
            }
            switch floodGate.check(event.sender, at: FloodGate.countedTime(of: event.timestamp, now: now)) {
            case .accept:
                break
            case .notify:
                logger.notice("flood limit reached; one notice, then silence", metadata: ["event.id": "\(event.id)"])
                let language = try tx.person(event.sender)?.language ?? settings.conversation.defaultLanguage
                try outbox.add(prompts.text(.botRateLimited, language), style: .notice)
                return outbox.added
            case .drop:
                return nil
            }
            // Personal data is masked before anything is stored, sent or logged (SkavBot.docc/Privacy.md); the person
            // is told what was masked. A message too long to be taken gets only the conversation's answer.
            crashpoints.trapIfMarked(text)
            let scan = PersonalDataScanner().scan(text)
            let limit = settings.conversation.maxMessageLength
            let taken = scan.masked.count <= limit && scan.masked.unicodeScalars.count <= limit * 4
            // Read once: the masking notice's language and the conversation's person. The warning after the
            // conversation is in the language the person may just have chosen (`språk en`).
            let person = try tx.person(event.sender)
            let language = person?.language ?? settings.conversation.defaultLanguage
            if taken, let notice = MaskingNotice.masked(scan, prompts: prompts, language: language) {
                try outbox.add(notice, style: .notice)
            }
            try converse(
                text: scan.masked, event: event, person: person, campaign: campaign, tx: tx, outbox: &outbox, now: now)
            digestRequested = outbox.digestRequested
            if taken, scan.clientCaseWarning {
                let language = try tx.person(event.sender)?.language ?? settings.conversation.defaultLanguage
                try outbox.add(prompts.text(.privacyClientCase, language))
            }
            return outbox.added
        }
    }

    /// The bot cannot read an encrypted room (<doc:Privacy>): it says so once, in plain text, leaves the
    /// encrypted room, and opens (or reuses) an unencrypted direct chat with the person.
    private func moveToPlainDirectChat(
        _ event: ChatEvent, language: Language, outbox: inout OutboxWriter, tx: IntakeTransaction
    ) throws {
        if let owner = try tx.directRoomOwner(event.room) {
            // What waits for this room (a notice, an announcement, an earlier reply) goes to the plain chat.
            try tx.handBackWaitingMessages(in: event.room, to: owner)
            try tx.forgetDirectRoom(event.room)
        }
        try outbox.add(prompts.text(.botEncryptedRoom, language), style: .notice)
        // Leave first: the encrypted room must not be taken for the person's direct chat.
        try outbox.add(kind: .leave)
        try outbox.add(prompts.text(.botDirectOpened, language), to: event.sender)
    }

    /// A room's members changed (or the bot joined it). A direct chat must hold exactly the bot and its
    /// person: checked when the bot joins one it was invited to (then the greeting with the public-records
    /// notice, before the person's first word; or, with others in it, one notice and leaving) and at every
    /// later change (a third person invited or joined: one notice, and the room is never used for the person
    /// again; what Skav has to say next goes to a fresh direct chat). Configured rooms are nobody's.
    private func membershipChanged(_ members: RoomMembership, event: ChatEvent, tx: IntakeTransaction, now: Date) throws -> Int? {
        if isConfiguredRoom(event.room) { return nil }
        if try tx.retiredRoom(event.room).retired { return nil }
        let invitedBy = try tx.takeDirectInvite(event.room)
        guard let owner = try tx.directRoomOwner(event.room) ?? invitedBy else { return nil }
        var outbox = OutboxWriter(tx: tx, eventID: event.id, room: event.room, now: now)
        var person = try tx.person(owner) ?? Person(id: owner, createdAt: now)
        let language = person.language ?? settings.conversation.defaultLanguage
        if members.isDirect(with: owner) {
            // Once per person, as the conversation would on the first message (it sees `greetedAt` set).
            guard invitedBy != nil, person.greetedAt == nil else { return outbox.added }
            person.greetedAt = now
            try tx.savePerson(person)
            try outbox.add(.paragraphs([prompts.text(.greeting, language), prompts.text(.publicRecords, language)]))
            return outbox.added
        }
        logger.notice(
            "a direct chat has other members; no longer used as one",
            metadata: ["room.id": "\(event.room)", "members.joined": "\(members.joined)", "members.invited": "\(members.invited)"])
        try tx.retireRoom(event.room, owner: owner, at: now)
        if invitedBy != nil {
            // Never a direct chat: like any group room, one notice and the bot leaves.
            try outbox.add(prompts.text(.botNotDirect, language), style: .notice)
            try outbox.add(kind: .leave)
        } else {
            try outbox.add(prompts.text(.botRoomShared, language), style: .notice)
        }
        return outbox.added
    }

    private func isConfiguredRoom(_ room: RoomID) -> Bool {
        room == settings.sharedRoom || room == settings.coordinatorsRoom
    }

    /// `stored`: the sender as stored, read by the caller in this transaction (nil for a newcomer).
    private func converse(
        text: String, event: ChatEvent, person stored: Person?, campaign: Int?, tx: IntakeTransaction,
        outbox: inout OutboxWriter, now: Date
    ) throws {
        let person = stored ?? Person(id: event.sender, createdAt: now)
        var session = ConversationSession()
        var stored: ConversationSession?
        if let data = try tx.conversationState(of: event.sender) {
            do {
                session = try ConversationSession(storedJSON: data)
                stored = session
            } catch {
                logger.warning(
                    "conversation state could not be read; starting afresh", metadata: ["error": "\(error)"])
            }
        }
        let context = ConversationContext(
            now: now, config: settings.conversation, prompts: prompts, reader: tx, replyToCampaign: campaign)
        let actions = try Conversation.handle(text: text, person: person, session: &session, context: context)
        let forgotten = try apply(actions, by: event.sender, tx: tx, outbox: &outbox, now: now)
        if forgotten { return }  // nothing of the person is stored again
        // Unchanged (a command, a question answered with the same step): nothing to write, and its time stays
        // that of its last change (what retention goes by).
        if session == stored { return }
        try tx.setConversationState(session.storedJSON, of: event.sender, at: now)
    }

    /// A guide's or coordinator's command given on the command line (`skav ideas stage`): the conversation's
    /// rules and the action interpreter of chat, in one transaction of its own; messages to others go through
    /// the outbox (the running bot sends them). With no roles configured, the operator's `actor` acts as a
    /// coordinator. Returns the replies the command gave, for the command line to print.
    public func perform(_ command: Command, by actor: UserID, now: Date) throws -> [RichText] {
        try store.write { tx in
            var config = settings.conversation
            if config.roles == .none { config.roles = Roles(coordinators: [actor]) }
            let person = try tx.person(actor) ?? Person(id: actor, greetedAt: now, createdAt: now)
            let context = ConversationContext(now: now, config: config, prompts: prompts, reader: tx)
            let actions = try Conversation.perform(command, by: person, context: context)
            var outbox = OutboxWriter(tx: tx, eventID: TxnID.commandLine(UUID()).rawValue, room: nil, now: now)
            _ = try apply(actions.filter { if case .savePerson = $0 { false } else { true } }, by: actor, tx: tx,
                outbox: &outbox, now: now)
            return outbox.replies
        }
    }

    /// Applies what the conversation decided, in the transaction of the message (or the command-line command)
    /// that caused it: the one interpreter of `ConversationAction`s, so chat and the command line change the
    /// intake by the same code, audit entries included. Returns whether the person asked to be forgotten.
    func apply(
        _ actions: [ConversationAction], by actor: UserID, tx: IntakeTransaction, outbox: inout OutboxWriter, now: Date
    ) throws -> Bool {
        var forgotten = false
        for action in actions {
            switch action {
            case .reply(let body): try outbox.add(body)
            case .savePerson(let person): try tx.savePerson(person)
            case .saveIdea(let idea):
                let before = try tx.idea(number: idea.number)
                try auditChange(from: before, to: idea, by: actor, tx: tx, now: now)
                try tx.saveIdea(idea)
                if idea.stage != .utkast, before?.stage ?? .utkast == .utkast {
                    // Submitted now: its similar ideas are kept for the digests' clusters.
                    try tx.recordSimilarity(of: idea, at: now)
                }
            case .deleteIdea(let number):
                try tx.deleteIdea(number: number)
                try tx.audit(AuditEntry(at: now, actor: actor.rawValue, ideaNumber: number, action: .deleted))
            case .recordEvent(let event): try tx.appendEvent(event)
            case .notify(let user, let body): try outbox.add(body, to: user)
            case .replyFile(let caption, let file): try outbox.add(caption, attachment: file)
            case .linkIdeas(let first, let second):
                if try tx.linkIdeas(first, second, by: actor, at: now) {
                    for (idea, other) in [(first, second), (second, first)] {
                        try tx.audit(
                            AuditEntry(
                                at: now, actor: actor.rawValue, ideaNumber: idea, action: .changed,
                                detail: "link #\(other)"))
                    }
                }
            case .audit(let number, let action, let detail):
                try tx.audit(
                    AuditEntry(at: now, actor: actor.rawValue, ideaNumber: number, action: action, detail: detail))
            case .forgetPerson(let user):
                try forget(user, tx: tx, now: now)
                forgotten = true
            case .saveCampaign(let campaign):
                let existing = try tx.campaign(number: campaign.number)
                try tx.saveCampaign(campaign)
                let what = existing == nil ? "challenge \(campaign.number) opened" : "challenge \(campaign.number) closed"
                try tx.audit(AuditEntry(at: now, actor: actor.rawValue, ideaNumber: nil, action: .changed, detail: what))
            case .announce(let campaign, let user, let body):
                let txnID: String?
                if let user {
                    txnID = try outbox.add(body, to: user, priority: .bulk)
                } else if let room = settings.sharedRoom {
                    txnID = try outbox.add(body, room: room)
                } else {
                    txnID = nil
                }
                if let txnID { try tx.recordCampaignPost(txnID: txnID, campaign: campaign) }
            case .post(let target, let body):
                try post(body, to: target, outbox: &outbox)
            case .saveLift(let request): try tx.saveLiftRequest(request)
            case .digestNow:
                // Only the request is stored now: the digest is built from a read snapshot by the
                // `DigestRequestService`, so a large intake's digest never holds this transaction.
                let room = settings.coordinatorsRoom ?? (outbox.recipient == nil ? outbox.room : nil)
                try tx.requestDigest(
                    DigestRequest(
                        key: "ondemand.\(outbox.eventID)", requestedBy: actor, roomID: room,
                        recipient: room == nil ? outbox.recipient : nil, requestedAt: now))
                outbox.digestRequested = true
            }
        }
        return forgotten
    }

    /// A message to a configured room; to each coordinator by direct message when their room is not configured.
    private func post(
        _ body: RichText, to target: ConfiguredRoom, outbox: inout OutboxWriter, style: OutgoingMessage.Style = .text
    ) throws {
        switch target {
        case .shared:
            guard let room = settings.sharedRoom else {
                logger.warning("a post for the shared room, but matrix.shared_room is not configured; not sent")
                return
            }
            _ = try outbox.add(body, room: room, style: style)
        case .coordinators:
            if let room = settings.coordinatorsRoom {
                _ = try outbox.add(body, room: room, style: style)
            } else {
                for coordinator in settings.conversation.roles.coordinators {
                    _ = try outbox.add(body, to: coordinator, priority: .bulk)
                }
            }
        }
    }

    /// Records an idea being saved in the audit log: created, a stage change, or the changed fields.
    private func auditChange(from before: Idea?, to idea: Idea, by actor: UserID, tx: IntakeTransaction, now: Date) throws {
        let entry: AuditEntry
        if let old = before {
            if old.stage != idea.stage {
                entry = AuditEntry(
                    at: now, actor: actor.rawValue, ideaNumber: idea.number, action: .stage,
                    detail: "\(old.stage.rawValue)→\(idea.stage.rawValue)")
            } else {
                let fields: [(String, Bool)] = [
                    ("title", old.title != idea.title), ("problem", old.problem != idea.problem),
                    ("benefits", old.benefits != idea.benefits), ("solution", old.solution != idea.solution),
                    ("challenge", old.theme != idea.theme), ("unit", old.unit != idea.unit),
                    ("guide", old.guide != idea.guide),
                ]
                let changed = fields.filter(\.1).map(\.0)
                guard !changed.isEmpty else { return }
                entry = AuditEntry(
                    at: now, actor: actor.rawValue, ideaNumber: idea.number, action: .changed,
                    detail: changed.joined(separator: ","))
            }
        } else {
            entry = AuditEntry(at: now, actor: actor.rawValue, ideaNumber: idea.number, action: .created)
        }
        try tx.audit(entry)
    }

    /// `glöm mig`: forgets the person in this transaction, under a fresh random pseudonym.
    private func forget(_ user: UserID, tx: IntakeTransaction, now: Date) throws {
        var generator = SystemRandomNumberGenerator()
        var pseudonym = Pseudonym.make(using: &generator)
        while try tx.isActorKnown(pseudonym) { pseudonym = Pseudonym.make(using: &generator) }
        let outcome = try tx.forgetPerson(user, pseudonym: pseudonym, at: now)
        try tx.forgetRoomTraces(of: user)
        forgotSinceCheckpoint.withLock { $0 = true }
        logger.notice(
            "forgot a person on request",
            metadata: [
                "pseudonym": "\(pseudonym)", "drafts.deleted": "\(outcome.draftsDeleted)",
                "ideas.pseudonymised": "\(outcome.ideasPseudonymised)",
            ])
    }

    /// After a batch with a `glöm mig`: empties the write-ahead log into the database file (whose deleted
    /// content `secure_delete` overwrote), so no old page copy on disk holds the forgotten id. Returns
    /// whether it did.
    @discardableResult
    public func checkpointAfterForget() throws -> Bool {
        guard forgotSinceCheckpoint.withLock({ flag in defer { flag = false }; return flag }) else { return false }
        try store.checkpoint()
        return true
    }

    /// Outbox entries rewritten in one transaction of the retention pass, and at most so many transactions a
    /// pass: 10,000 entries an hour, several times what a municipality's people are sent in an hour (an
    /// announcement to 30,000 followers, once sent, is caught up in three passes), and at most a fraction of
    /// a second of the receive loop's time (5–33 ms a transaction measured on sparse pages).
    static let outboxCompactionChunk = 500
    static let outboxCompactionChunks = 20

    /// `privacy.draft_retention`: deletes drafts and conversation states not touched for `retention` and
    /// old outbox entries (`deleteExpiredOutbox`), then empties the write-ahead log so forgotten and deleted data leaves no copies on disk.
    @discardableResult
    public func applyRetention(_ retention: Duration, now: Date) throws -> RetentionOutcome {
        let seconds = TimeInterval(retention.components.seconds)
        let cutoff = now.addingTimeInterval(-seconds)
        let (outcome, outbox) = try store.write { tx in
            (try tx.deleteExpired(before: cutoff, at: now), try tx.deleteExpiredOutbox(before: cutoff, at: now))
        }
        // Done nudges whose situation is over (the dedupe key is no longer needed), a month on.
        let compacted = try store.write { try $0.compactNudges(before: now.addingTimeInterval(-Self.nudgeRetention)) }
        if compacted > 0 { logger.info("retention: compacted done nudges", metadata: ["nudges": "\(compacted)"]) }
        // The entries sent since the last pass, rewritten so their pages are full again (`compactSentOutbox`),
        // a short transaction each 500, so a person's reply never waits long behind it.
        var rewritten = 0
        for _ in 0..<Self.outboxCompactionChunks {
            let (count, more) = try store.write { try $0.compactSentOutbox(limit: Self.outboxCompactionChunk, at: now) }
            rewritten += count
            if !more { break }
        }
        if rewritten > 0 { logger.info("retention: rewrote sent outbox entries", metadata: ["entries": "\(rewritten)"]) }
        try store.releaseFreePages()
        if outcome.drafts + outcome.states > 0 {
            logger.info(
                "retention: deleted old drafts and conversation states",
                metadata: ["drafts": "\(outcome.drafts)", "states": "\(outcome.states)"])
        }
        if outbox.sent + outbox.undelivered > 0 {
            logger.info(
                "retention: deleted old outbox entries",
                metadata: ["sent": "\(outbox.sent)", "undelivered": "\(outbox.undelivered)"])
        }
        return outcome
    }
}

