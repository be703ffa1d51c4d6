import Chat
import Foundation
import Intake
import Logging
import ServiceLifecycle
import Synchronization
import Prompts
import Store

/// The pace of bulk sends, learned from 429s: each one doubles the gap between bulk sends (from 250 ms up
/// to 10 s), each bulk send that goes through shortens it by a tenth, and below 50 ms there is none. So an
/// announcement to thousands stops provoking the server's limit, while replies are never held by it.
struct BulkPacing: Sendable {
    static let first: Duration = .milliseconds(250)
    static let longest: Duration = .seconds(10)
    static let none: Duration = .milliseconds(50)
    /// At most one warning in the log per this much time.
    static let warnEvery: Duration = .seconds(600)

    var interval: Duration = .zero
    var lastBulk: ContinuousClock.Instant?
    var lastWarning: ContinuousClock.Instant?

    /// Whether bulk is paced at all (a 429 taught a gap not yet shortened away).
    var isPacing: Bool { interval > .zero }

    /// How long the next bulk send must wait (zero: go now), or nil when bulk is not paced.
    func wait(at now: ContinuousClock.Instant) -> Duration? {
        guard isPacing else { return nil }
        guard let lastBulk else { return .zero }
        let since = lastBulk.duration(to: now)
        return since >= interval ? .zero : interval - since
    }

    mutating func sentBulk(at now: ContinuousClock.Instant) {
        lastBulk = now
        interval = interval * 0.9
        if interval < Self.none { interval = .zero }
    }

    /// Returns the new interval, and whether to warn in the log.
    mutating func rateLimited(at now: ContinuousClock.Instant) -> (Duration, Bool) {
        interval = min(Self.longest, max(Self.first, interval * 2))
        lastBulk = now
        let warn = lastWarning.map { $0.duration(to: now) >= Self.warnEvery } ?? true
        if warn { lastWarning = now }
        return (interval, warn)
    }
}
