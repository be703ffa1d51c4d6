import Chat
import Synchronization

/// The stored JSON of the last text queued in one transaction. A burst of `hjälp`, or an announcement to every
/// follower, queues the same text many times in one batch; writing its JSON was a twentieth of each reply.
/// Compared, not hashed: hashing a text that is not ASCII normalizes it (as long as writing it).
final class StoredTextMemo: Sendable {
    private let last = Mutex<(text: RichText, stored: String)?>(nil)

    func storedJSON(of text: RichText) -> String {
        if let last = last.withLock({ $0 }), last.text == text { return last.stored }
        let stored = text.storedJSON
        last.withLock { $0 = (text, stored) }
        return stored
    }
}
