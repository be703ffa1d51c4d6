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

/// Adds outbox entries for one event, with transaction ids `<event id>.<index>` that stay the same when
/// the event is handled again after a crash.
struct OutboxWriter {
    let tx: IntakeTransaction
    let eventID: String
    /// The room replies go to; nil for a command-line command, whose replies are kept in `replies` instead.
    let room: RoomID?
    let now: Date
    var index = 0
    var added = 0
    /// Set when the event came from a group room: replies go to this person's direct chat instead.
    var recipient: UserID?
    /// The event asked for a digest (`sammanfattning`): the digest service is to be woken.
    var digestRequested = false
    /// The replies of a command-line command (no room): printed by the command instead of sent.
    var replies: [RichText] = []

    /// A reply in the event's room (or to `recipient`), or a join/leave of that room.
    mutating func add(
        _ body: RichText = RichText(), kind: OutboxEntry.Kind = .message, style: OutgoingMessage.Style = .text,
        attachment: FileAttachment? = nil
    ) throws {
        if let recipient, kind == .message {
            var entry = OutboxEntry(
                txnID: nextTxnID(), roomID: nil, recipient: recipient, body: body, style: style, createdAt: now,
                priority: .reply)
            entry.attachment = attachment
            if try tx.enqueue(entry) { added += 1 }
            return
        }
        guard let room else {
            replies.append(body)
            return
        }
        let entry = OutboxEntry(
            txnID: nextTxnID(), kind: kind, roomID: room, body: body, style: style, attachment: attachment,
            createdAt: now, priority: .reply)
        if try tx.enqueue(entry) { added += 1 }
    }

    /// A message to another person's direct chat (opened by the sender when needed); returns its transaction id.
    /// A direct chat already known is written with the entry, as the sender would record it after finding it:
    /// an announcement's thousands of messages then cost the sender no read and no write each. A room that
    /// stops being a direct chat later (shared, encrypted) hands its waiting messages back to their person
    /// (`handBackWaitingMessages`).
    @discardableResult
    mutating func add(_ body: RichText, to recipient: UserID, priority: OutboxEntry.Priority = .notice) throws -> String {
        let txnID = nextTxnID()
        let entry = OutboxEntry(
            txnID: txnID, roomID: try tx.directRoom(of: recipient), recipient: recipient, body: body, createdAt: now,
            priority: priority)
        if try tx.enqueue(entry) { added += 1 }
        return txnID
    }

    /// A message to another room (a configured group room: announcements, summaries, good examples): bulk.
    mutating func add(_ body: RichText, room: RoomID, style: OutgoingMessage.Style = .text) throws -> String {
        let txnID = nextTxnID()
        let entry = OutboxEntry(txnID: txnID, roomID: room, body: body, style: style, createdAt: now, priority: .bulk)
        if try tx.enqueue(entry) { added += 1 }
        return txnID
    }

    private mutating func nextTxnID() -> String {
        defer { index += 1 }
        return TxnID.caused(by: eventID, index: index).rawValue
    }
}
