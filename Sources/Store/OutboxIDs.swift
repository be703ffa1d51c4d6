import Chat
import Foundation

/// The transaction id of an outbox entry. The sender sends an entry with its id, and the server treats a send
/// with an id it has seen as the same message: the ids are stable across restarts, so a retry after a crash
/// never doubles a message. Every kind of id is built here and nowhere else.
public struct TxnID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// The `index`th message caused by the incoming event (a reply, a notice to someone else …).
    public static func caused(by eventID: String, index: Int) -> TxnID { TxnID(rawValue: "\(eventID).\(index)") }
    /// The apology for an event whose handling failed.
    public static func failure(of eventID: String) -> TxnID { TxnID(rawValue: "\(eventID).error") }
    /// The notice that an event was set aside (it took the process down twice).
    public static func quarantined(_ eventID: String) -> TxnID { TxnID(rawValue: "\(eventID).quarantined") }
    /// A planned nudge, by its row id.
    public static func nudge(_ id: Int64) -> TxnID { TxnID(rawValue: "nudge.\(id)") }
    /// The stand-in for the event of a command given on the command line (`skav ideas stage`).
    public static func commandLine(_ id: UUID) -> TxnID { TxnID(rawValue: "cli.\(id.uuidString.lowercased())") }

    /// The prefix of one digest run's messages, from the run's key (the same key gives the same ids).
    public static func digestRun(_ key: String) -> TxnID { TxnID(rawValue: "digest.\(stableID(key))") }
    /// A recipient's suffix in a digest run's ids: one run goes to several coordinators.
    public static func recipientSuffix(_ user: UserID) -> String { ".\(stableID(user.rawValue))" }
    /// Part `index` of a digest run (`run` from `digestRun`), for one recipient.
    public func part(_ index: Int, suffix: String = "") -> TxnID { TxnID(rawValue: "\(rawValue).\(index)\(suffix)") }
    /// The file of a digest run, for one recipient.
    public func file(suffix: String = "") -> TxnID { TxnID(rawValue: "\(rawValue).file\(suffix)") }

    /// A transaction id part for any text: the 64-bit FNV-1a hash of its UTF-8, in hex. Stable across runs
    /// and builds (unlike `Hasher`), distinct for distinct user ids in practice, and safe in a URL path.
    public static func stableID(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// The keys of the store's small key-value table, each built here.
public enum StoredKey {
    /// The chat server's credentials (Matrix: access token and device).
    public static let matrixCredentials = "matrix.credentials"
    /// Where the Matrix sync stopped (stored with each batch's effects).
    public static let matrixCursor = "matrix.cursor"
    /// Where the Mattermost poll stopped (stored with each batch's effects).
    public static let mattermostCursor = "mattermost.cursor"
    /// The terminal mode's own cursor.
    public static let terminalCursor = "terminal.cursor"
    /// When the last scheduled coordinators' digest covered up to.
    public static let digestBaseline = "digest.baseline"
    /// Set once the "this room is encrypted" notice went to `room`, so it goes once.
    public static func encryptedNotice(_ room: RoomID) -> String { "encrypted_notice.\(room.rawValue)" }
}

/// The keys of digest runs (`digest_run`): a run's key starts with whose digest it is, so the last run of
/// each kind is found by prefix.
public enum DigestRunKey {
    /// The coordinators' digest.
    public static let coordinatorsPrefix = "coordinators:"
    /// One guide's digest.
    public static func guidePrefix(_ guide: UserID) -> String { "guide:\(guide.rawValue):" }
}
