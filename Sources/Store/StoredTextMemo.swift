import Chat
import Foundation
import Synchronization

/// The stored JSON of the last text queued, kept by the store from one write transaction to the next. A
/// burst of `hjälp`, or an announcement to every follower, queues the same text many times, in one batch and
/// in the next; writing its JSON was a twentieth of each reply (kept for one transaction, the first reply of
/// each batch still wrote it: a fifth of them in a burst). Compared, not hashed: hashing a text that is not
/// ASCII normalizes it (as long as writing it). Only in memory: the text is the one about to be stored.
/// (`==` is canonical equivalence: a text queued right after an equivalent one in the other Unicode form,
/// composed or decomposed, is stored in the earlier one's bytes; it reads and shows the same.)
///
/// And the other way: the texts of the last few stored bodies the sender read (`text(ofWritten:)`), so the
/// same text queued for many rooms is read once, not once for each queued entry or each read of the lanes
/// (a burst's replies, an announcement's DMs: about 60,000 instructions each time for the help text), and a
/// few texts queued together do not push each other out. Compared byte for byte (hashing a whole body cost
/// more than comparing it).
final class StoredTextMemo: Sendable {
    private let last = Mutex<(text: RichText, stored: String)?>(nil)
    /// The bodies read last, the latest first; at most `readKept`.
    private let read = Mutex<[(stored: Data, text: RichText)]>([])
    private static let readKept = 8

    /// `RichText(writtenStoredJSON:)` of `bytes`, kept for the next reads (nil: not in the written form).
    func text(ofWritten bytes: Data) -> RichText? {
        if let known = read.withLock({ $0.first { $0.stored == bytes }?.text }) { return known }
        guard let text = RichText(writtenStoredJSON: bytes) else { return nil }
        read.withLock { kept in
            kept.insert((bytes, text), at: 0)
            if kept.count > Self.readKept { kept.removeLast() }
        }
        return text
    }

    func storedJSON(of text: RichText) -> String {
        if let last = last.withLock({ $0 }), last.text == text { return last.stored }
        let stored = text.storedJSON
        last.withLock { $0 = (text, stored) }
        return stored
    }
}
