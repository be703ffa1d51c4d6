import Synchronization

/// A wait that ran out: what the test waited for never happened.
public struct WaitTimedOut: Error, CustomStringConvertible {
    public let what: String
    public let after: Duration
    public var description: String { "waited \(after) for \(what), in vain" }
}

/// Waits until `condition` holds, checking it often, and fails after `timeout`. The deadline only turns a hang
/// into a failure, it never orders anything, so it is long: on a loaded machine (two cores, the fuzz suite
/// holding the cooperative pool for a minute) a task can wait its turn for tens of seconds.
/// Use it instead of sleeping "long enough".
public func waitUntil(
    _ what: String = "a condition", timeout: Duration = .seconds(300), _ condition: () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while try await !condition() {
        guard clock.now < deadline else { throw WaitTimedOut(what: what, after: timeout) }
        try await Task.sleep(for: .milliseconds(2))
    }
}

/// A one-way latch: `wait()` returns once `open()` has been called, before or after the wait began.
/// For a fake to say "I got here" and a test to wait for exactly that.
public final class Latch: Sendable {
    private struct State {
        var opened = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    public init() {}

    public var isOpen: Bool { state.withLock { $0.opened } }

    public func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.opened = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    public func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.opened { return true }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }
}

/// A counter shared between a fake and the test that waits on it.
public final class Counter: Sendable {
    private let value = Mutex(0)
    public init() {}
    public var count: Int { value.withLock { $0 } }
    @discardableResult
    public func increment() -> Int { value.withLock { $0 += 1; return $0 } }
}
