import Chat
import Synchronization

/// The stored JSON of the last text queued, kept by the store from one write transaction to the next. A
/// burst of `hjälp`, or an announcement to every follower, queues the same text many times, in one batch and
/// in the next; writing its JSON was a twentieth of each reply (kept for one transaction, the first reply of
/// each batch still wrote it: a fifth of them in a burst). Compared, not hashed: hashing a text that is not
/// ASCII normalizes it (as long as writing it). Only in memory: the text is the one about to be stored.
final class StoredTextMemo: Sendable {
    private let last = Mutex<(text: RichText, stored: String)?>(nil)

    func storedJSON(of text: RichText) -> String {
        if let last = last.withLock({ $0 }), last.text == text { return last.stored }
        let stored = text.storedJSON
        last.withLock { $0 = (text, stored) }
        return stored
    }
}
