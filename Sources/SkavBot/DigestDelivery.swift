import Chat
import Conversation
import Foundation
import Intake
import Logging
import ServiceLifecycle
import Prompts
import Store

/// A built digest: its messages, and, when a list was cut on a server that takes files, one file with the
/// full lists (sent after the messages, `caption` as its text). An array literal of messages is one.
public struct DigestMessages: Sendable, Equatable, ExpressibleByArrayLiteral {
    public var parts: [RichText]
    public var file: FileAttachment?
    public var caption: RichText

    public init(parts: [RichText], file: FileAttachment? = nil, caption: RichText = RichText()) {
        self.parts = parts
        self.file = file
        self.caption = caption
    }

    public init(arrayLiteral parts: RichText...) {
        self.init(parts: parts)
    }

    /// The messages to queue, in order: the parts, then the file (if any) with its caption. The transaction
    /// ids are `<prefix>.<index>` for the parts and `<prefix>.file` for the file, so a retry queues nothing twice.
    func entries(
        txnPrefix prefix: TxnID, suffix: String = "", roomID: RoomID?, recipient: UserID?, at now: Date
    ) -> [OutboxEntry] {
        var entries = parts.enumerated().map { index, part in
            OutboxEntry(
                txnID: prefix.part(index, suffix: suffix).rawValue, roomID: roomID, recipient: recipient, body: part, style: .notice,
                createdAt: now, priority: .bulk)
        }
        if let file {
            entries.append(
                OutboxEntry(
                    txnID: prefix.file(suffix: suffix).rawValue, roomID: roomID, recipient: recipient, body: caption, style: .notice,
                    attachment: file, createdAt: now, priority: .bulk))
        }
        return entries
    }

    /// The messages sent, the file counted as one.
    public var count: Int { parts.count + (file == nil ? 0 : 1) }
}

/// The scheduled digests (<doc:Digests>): when, where, and how to build them. The builders are given the
/// transaction and the period (since, until) and return the messages to send (none: nothing to send).
public struct DigestDelivery: Sendable {
    public typealias Build = @Sendable (IntakeTransaction, _ since: Date, _ until: Date) throws -> DigestMessages
    public typealias BuildGuide = @Sendable (IntakeTransaction, UserID, _ since: Date, _ until: Date) throws -> [RichText]

    public var schedule: DigestSchedule
    /// `matrix.coordinators_room`; without it each coordinator gets the digest by direct message.
    public var coordinatorsRoom: RoomID?
    public var coordinators: [UserID]
    /// Guides who get a personal weekly digest (`digest.guides: true`); empty for none.
    public var guides: [UserID]
    public var build: Build
    public var buildGuide: BuildGuide

    public init(
        schedule: DigestSchedule, coordinatorsRoom: RoomID?, coordinators: [UserID], guides: [UserID],
        build: @escaping Build, buildGuide: @escaping BuildGuide
    ) {
        self.schedule = schedule
        self.coordinatorsRoom = coordinatorsRoom
        self.coordinators = coordinators
        self.guides = guides
        self.build = build
        self.buildGuide = buildGuide
    }

    /// The key prefix of the coordinators' scheduled digests in `digest_run`.
}
