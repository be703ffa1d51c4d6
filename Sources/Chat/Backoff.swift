import Foundation

/// Capped exponential backoff with full jitter. Pure: the caller supplies the random source.
public struct Backoff: Sendable, Equatable {
    public var initial: Duration
    public var maximum: Duration
    public var multiplier: Double
    public private(set) var attempt: Int = 0

    public init(initial: Duration = .milliseconds(500), maximum: Duration = .seconds(60), multiplier: Double = 2) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
    }

    /// The ceiling for the current attempt, without jitter.
    public var ceiling: Duration {
        let base = Double(initial.components.seconds) + Double(initial.components.attoseconds) / 1e18
        let cap = Double(maximum.components.seconds) + Double(maximum.components.attoseconds) / 1e18
        let value = min(cap, base * pow(multiplier, Double(min(attempt, 62))))
        // Clamped before the conversion: a NaN or absurd product never traps (at most the cap, a day at most).
        return Duration.clamped(seconds: value, maximum: min(maximum, .seconds(86_400)))
    }

    /// The next delay: uniformly random between half the ceiling and the ceiling ("equal jitter"),
    /// so retries from many clients spread out but never collapse to zero.
    public mutating func next<R: RandomNumberGenerator>(using random: inout R) -> Duration {
        let ceilingMs = max(1, ceiling.clampedMilliseconds)
        if attempt < Int.max { attempt += 1 }
        let low = ceilingMs / 2
        return .milliseconds(Int64.random(in: low...ceilingMs, using: &random))
    }

    public mutating func next() -> Duration {
        var generator = SystemRandomNumberGenerator()
        return next(using: &generator)
    }

    public mutating func reset() { attempt = 0 }
}
