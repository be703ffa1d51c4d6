import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Fault injection for the crash tests: `SKAV_CRASHPOINT=after-commit:3` kills the process with SIGKILL
/// right after the third committed batch that produced outgoing messages (before they are sent);
/// `after-send:2` right after the second successful send (before it is marked sent); `after-recorded:2`
/// right after the second round of sends was recorded as sent; `after-nudge:1` right
/// after the first nudge's outbox entry and done mark were committed (before the sender is woken);
/// `trap-on-text:MARKER` traps (a real Swift trap, as a bug would) while handling any message that contains
/// MARKER, to test the poison-message quarantine. Unset in production; the variable is read once at start.
public final class Crashpoints: Sendable {
    public enum Point: String, Sendable {
        case afterCommit = "after-commit"
        case afterSend = "after-send"
        /// After a round of sends was recorded as sent, before the next round.
        case afterSentRecorded = "after-recorded"
        /// After a nudge's outbox entry and done mark were committed, before the sender is woken.
        case afterNudge = "after-nudge"
    }

    private let target: (point: Point, count: Int)?
    private let counts = Mutex([Point: Int]())
    /// `trap-on-text:MARKER`.
    private let trapMarker: String?

    public init(specification: String?) {
        guard let specification, !specification.isEmpty else {
            target = nil
            trapMarker = nil
            return
        }
        if specification.hasPrefix("trap-on-text:"), specification.count > "trap-on-text:".count {
            target = nil
            trapMarker = String(specification.dropFirst("trap-on-text:".count))
            return
        }
        trapMarker = nil
        let parts = specification.split(separator: ":")
        if parts.count == 2, let point = Point(rawValue: String(parts[0])), let count = Int(parts[1]), count > 0 {
            target = (point, count)
        } else {
            target = nil
            FileHandle.standardError.write(Data("skav: ignoring malformed SKAV_CRASHPOINT '\(specification)'\n".utf8))
        }
    }

    public static func fromEnvironment() -> Crashpoints {
        Crashpoints(specification: ProcessInfo.processInfo.environment["SKAV_CRASHPOINT"])
    }

    /// Traps when `text` holds the `trap-on-text` marker: a stand-in for a bug that some input reaches.
    public func trapIfMarked(_ text: String) {
        guard let trapMarker, text.contains(trapMarker) else { return }
        FileHandle.standardError.write(Data("skav: trap-on-text crashpoint reached, trapping\n".utf8))
        fatalError("trap-on-text crashpoint")  // deliberate: the test stands in for a trap reached by input
    }

    public func reached(_ point: Point) {
        guard let target, target.point == point else { return }
        let count = counts.withLock { counts -> Int in
            let count = counts[point, default: 0] &+ 1
            counts[point] = count
            return count
        }
        if count == target.count {
            FileHandle.standardError.write(Data("skav: crashpoint \(point.rawValue):\(count) reached, killing myself\n".utf8))
            kill(getpid(), SIGKILL)
        }
    }
}
