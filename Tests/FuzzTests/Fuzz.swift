import Chat
import Foundation
import Testing

/// The fuzzers' random source: SplitMix64, the same sequence for the same seed on every machine.
typealias Rng = SplitMix64

extension SplitMix64 {

    /// The generator of case `index` of a run with `seed`: every case can be replayed on its own.
    static func forCase(seed: UInt64, index: Int) -> Rng {
        var mixer = Rng(seed: seed ^ (UInt64(index) &* 0xD6E8_FEB8_6659_FD93))
        return Rng(seed: mixer.next())
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
    mutating func int(_ range: Range<Int>) -> Int { Int.random(in: range, using: &self) }
    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0..<items.count)] }
}

/// A broken property: what went wrong, and the input that broke it.
struct Violation: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Throws a `Violation` when `condition` is false.
func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw Violation(message: message()) }
}

/// Input shortened for a failure message, with invisible characters made visible.
func show(_ text: String, limit: Int = 300) -> String {
    let short = text.count > limit ? String(text.prefix(limit)) + "… (\(text.count) chars)" : text
    return short.unicodeScalars.map { scalar in
        scalar.isASCII && scalar.value >= 0x20 && scalar.value < 0x7F || scalar.properties.isAlphabetic
            ? String(scalar) : "\\u{\(String(scalar.value, radix: 16))}"
    }.joined()
}

/// How many cases and which seed: `SKAV_FUZZ_CASES` (every target; without it each target runs its
/// own small count, so the normal debug suite stays within seconds) and `SKAV_FUZZ_SEED` (default a
/// fixed seed, so the normal suite is deterministic). `SKAV_FUZZ_CASE=i` replays case `i` alone.
enum FuzzSettings {
    static let environment = ProcessInfo.processInfo.environment
    static let cases = environment["SKAV_FUZZ_CASES"].flatMap { Int($0) }
    static let seed = environment["SKAV_FUZZ_SEED"].flatMap { UInt64($0) } ?? 20_251_122
    static let only = environment["SKAV_FUZZ_CASE"].flatMap { Int($0) }
    /// Stop a target after this many failing cases; the first ones say enough.
    static let maxFailures = 5
}

/// Runs `body` for every case of `target`, each with its own reproducible generator; records each
/// failing case (seed, index, message) as an issue and prints one summary line per target.
/// Async only to yield its thread now and then.
func fuzz(
    _ target: String, defaultCases: Int = 2_000, seed: UInt64 = FuzzSettings.seed,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: (inout Rng, Int) throws -> Void
) async {
    let indices = FuzzSettings.only.map { [$0] } ?? Array(0..<(FuzzSettings.cases ?? defaultCases))
    // Printed first, so a crash (which ends the process) still leaves the seed in the log.
    print("fuzz \(target): starting \(indices.count) cases, seed \(seed)")
    fflush(nil)  // all streams: stdout to a file is buffered; a crash would lose the line
    let clock = ContinuousClock()
    let started = clock.now
    var failures = 0
    var lastYield = started
    for index in indices {
        // Give the cooperative threads back now and then: the other suites' async tests (timeouts,
        // wake-ups) must not starve behind a fuzz loop on a two-core machine.
        if lastYield.duration(to: clock.now) > .milliseconds(5) {
            await Task.yield()
            lastYield = clock.now
        }
        var rng = Rng.forCase(seed: seed, index: index)
        do {
            try body(&rng, index)
        } catch {
            failures += 1
            Issue.record(
                "fuzz \(target) failed: seed \(seed), case \(index) (replay: SKAV_FUZZ_SEED=\(seed) SKAV_FUZZ_CASE=\(index)): \(error)",
                sourceLocation: sourceLocation)
            if failures >= FuzzSettings.maxFailures { break }
        }
    }
    let elapsed = started.duration(to: clock.now)
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print("fuzz \(target): \(indices.count) cases, seed \(seed), \(failures) failures, \(String(format: "%.1f", seconds)) s")
    fflush(nil)
}
