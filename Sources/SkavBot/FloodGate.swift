import Chat
import Foundation
import Synchronization

/// A per-person flood limit: more than `maxMessages` within `window` gets one calm notice, then silence
/// until the rate has dropped to half the limit. In memory: a restart forgives, which is harmless.
///
/// Messages are counted at the time the server received them (`ChatEvent.timestamp`, see `countedTime`),
/// not when the bot handles them: after downtime a day's queued messages arrive in one batch, and counting
/// them by processing time would mark the 21st and later as a flood and drop them unanswered.
public final class FloodGate: Sendable {
    public enum Verdict: Equatable, Sendable {
        case accept
        /// Over the limit for the first time in this episode: tell the person once.
        case notify
        /// Still over the limit: ignore silently.
        case drop
    }

    public struct Limit: Sendable, Equatable {
        public var maxMessages: Int
        public var window: TimeInterval
        public init(maxMessages: Int = 20, window: TimeInterval = 60) {
            self.maxMessages = maxMessages
            self.window = window
        }
    }

    private struct Track {
        var times: [Date] = []
        var notified = false
    }

    private struct State {
        var tracks: [UserID: Track] = [:]
        /// The size past which quiet people are forgotten; after that it is twice what is left, so however
        /// many people wrote within the window (all 30,000 on a Monday morning), forgetting costs a constant
        /// time a message (a pass over the map for every message once it held 10,000 active people grew
        /// with the organisation: most of the bot's CPU in a 30,000-follower benchmark).
        var pruneAt = FloodGate.smallestPrune
        var prunes = 0
    }

    static let smallestPrune = 10_000

    public let limit: Limit
    private let state = Mutex(State())

    /// How many times quiet people were forgotten, and how many are tracked (for tests of those bounds).
    package var prunes: Int { state.withLock { $0.prunes } }
    package var tracked: Int { state.withLock { $0.tracks.count } }

    public init(limit: Limit = Limit()) {
        self.limit = limit
    }

    /// The moment a message counts at: when the server received it, unless that time is absurd (more than a
    /// minute ahead of the bot's clock, or before 2001): then when the bot handles it.
    public static func countedTime(of timestamp: Date, now: Date) -> Date {
        let plausible = timestamp.timeIntervalSinceReferenceDate >= 0 && timestamp <= now.addingTimeInterval(60)
        return plausible ? timestamp : now
    }

    public func check(_ user: UserID, at now: Date) -> Verdict {
        state.withLock { state in
            var track = state.tracks[user] ?? Track()
            let horizon = now.addingTimeInterval(-limit.window)
            track.times.removeAll { $0 <= horizon }
            track.times.append(now)
            if track.times.count > limit.maxMessages + 1 { track.times.removeFirst(track.times.count - limit.maxMessages - 1) }
            let verdict: Verdict
            if track.times.count > limit.maxMessages {
                verdict = track.notified ? .drop : .notify
                track.notified = true
            } else {
                if track.times.count <= limit.maxMessages / 2 { track.notified = false }
                verdict = .accept
            }
            state.tracks[user] = track
            // Forget people who have been quiet for a whole window, so the map stays small.
            if state.tracks.count > state.pruneAt {
                state.tracks = state.tracks.filter { $0.value.times.last.map { $0 > horizon } ?? false }
                state.pruneAt = max(Self.smallestPrune, state.tracks.count * 2)
                state.prunes += 1
            }
            return verdict
        }
    }
}
