import Chat
import Foundation
import Synchronization

/// The stored JSON of the last text queued, kept by the store from one write transaction to the next. A
/// burst of `hjälp`, or an announcement to every follower, queues the same text many times, in one batch and
/// in the next; writing its JSON was a twentieth of each reply (kept for one transaction, the first reply of
/// each batch still wrote it: a fifth of them in a burst). Compared byte for byte, neither hashed nor with
/// `==`: both normalize a text that is not ASCII (as long as writing it; `==` on the texts was 12,000
/// instructions a reply in a burst). A text equal only in another normalization is written again, which
/// is what its stored bytes need anyway. Only in memory: the text is the one about to be stored.
final class StoredTextMemo: Sendable {
    private let last = Mutex<(text: RichText, stored: String)?>(nil)

    func storedJSON(of text: RichText) -> String {
        if let last = last.withLock({ $0 }), Self.sameBytes(last.text, text) { return last.stored }
        let stored = text.storedJSON
        last.withLock { $0 = (text, stored) }
        return stored
    }

    /// Whether two texts have the same spans with the same UTF-8 bytes.
    static func sameBytes(_ a: RichText, _ b: RichText) -> Bool {
        guard a.spans.count == b.spans.count else { return false }
        for (x, y) in zip(a.spans, b.spans) {
            switch (x, y) {
            case (.text(let p), .text(let q)), (.strong(let p), .strong(let q)), (.emphasis(let p), .emphasis(let q)),
                (.code(let p), .code(let q)):
                guard sameBytes(p, q) else { return false }
            case (.lineBreak, .lineBreak):
                continue
            case (.link(let text1, let url1), .link(let text2, let url2)):
                guard sameBytes(text1, text2), sameBytes(url1, url2) else { return false }
            default:
                return false
            }
        }
        return true
    }

    /// Whether two strings have the same UTF-8 bytes (one `memcmp` for native strings).
    static func sameBytes(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        let compared = a.utf8.withContiguousStorageIfAvailable { p in
            b.utf8.withContiguousStorageIfAvailable { q in
                guard let first = p.baseAddress, let second = q.baseAddress else { return p.count == q.count }
                return memcmp(first, second, p.count) == 0
            }
        }
        return (compared ?? nil) ?? a.utf8.elementsEqual(b.utf8)
    }
}
