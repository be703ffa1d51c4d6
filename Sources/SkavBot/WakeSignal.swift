import Synchronization

/// Wakes the tasks waiting on it early (the outbox sender, the nudge scheduler, anyone waiting for the
/// ready gate); a wake with nobody waiting is remembered once, for the next wait.
///
/// The timeouts share one timer: a wait whose deadline is no earlier than the timer's leaves it running, and
/// the timer, when it fires, ends the waits that are due and sleeps on to the next deadline. A wait that is
/// woken early leaves no timer to cancel. (A task group with a sleeping child for every wait armed and
/// cancelled a timer of the global executor for every message sent one at a time: two wake-ups of its
/// threads each time.)
public final class WakeSignal: Sendable {
    private struct Waiter {
        let continuation: CheckedContinuation<Void, Never>
        /// Nil: only a wake (or cancellation) ends the wait.
        let deadline: ContinuousClock.Instant?
    }

    private struct State {
        var pending = false
        var nextID = 0
        var waiters: [Int: Waiter] = [:]
        /// When the running timer fires, and its generation; nil when no timer runs. A timer of an older
        /// generation ends when it fires (a wait with an earlier deadline started a new one).
        var timer: (fires: ContinuousClock.Instant, generation: Int)?
        var generation = 0
    }
    private let state = Mutex(State())

    public init() {}

    /// Wakes every waiting task, or the next one to wait when none is waiting.
    public func wake() {
        let waiters = state.withLock { state -> [Waiter] in
            if state.waiters.isEmpty {
                state.pending = true
                return []
            }
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.continuation.resume() }
    }

    /// Whether a wake came while nobody waited, taking it (the next wait then does not end at once): for a
    /// task that is busy (the sender with sends in flight) and wants to know whether new work came.
    public func takePending() -> Bool {
        state.withLock { state in
            defer { state.pending = false }
            return state.pending
        }
    }

    /// How many tasks wait on it now (for tests that must know a wait has begun before they wake it).
    package var waiting: Int { state.withLock { $0.waiters.count } }

    /// Returns when woken, after `timeout`, or when the task is cancelled, whichever is first.
    public func wait(for timeout: Duration) async {
        await wait(until: ContinuousClock.now.advanced(by: max(.zero, timeout)))
    }

    /// Returns when woken or when the task is cancelled (no timer).
    public func wait() async { await wait(until: nil) }

    private func wait(until deadline: ContinuousClock.Instant?) async {
        let id = state.withLock { state -> Int in
            defer { state.nextID += 1 }
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let (resumeNow, timer) = state.withLock { state -> (Bool, (ContinuousClock.Instant, Int)?) in
                    if state.pending {
                        state.pending = false
                        return (true, nil)
                    }
                    // Cancelled or already due: a wake that came meanwhile stays for the next wait.
                    if Task.isCancelled || deadline.map({ $0 <= .now }) == true { return (true, nil) }
                    state.waiters[id] = Waiter(continuation: continuation, deadline: deadline)
                    guard let deadline else { return (false, nil) }
                    if let running = state.timer, running.fires <= deadline { return (false, nil) }
                    state.generation += 1
                    state.timer = (deadline, state.generation)
                    return (false, (deadline, state.generation))
                }
                if resumeNow { continuation.resume() }
                if let (fires, generation) = timer { startTimer(fires: fires, generation: generation) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume()
        }
    }

    /// Sleeps until `fires`, ends the waits due by then, and goes on to the next deadline while any wait
    /// remains; ends when a newer timer has taken over or nobody waits.
    private func startTimer(fires: ContinuousClock.Instant, generation: Int) {
        Task { [weak self] in
            var next = fires
            while true {
                try? await Task.sleep(until: next, clock: .continuous)
                guard let self else { return }
                let (due, following) = self.state.withLock { state -> ([Waiter], ContinuousClock.Instant?) in
                    guard state.timer?.generation == generation else { return ([], nil) }
                    let now = ContinuousClock.now
                    let due = state.waiters.filter { $0.value.deadline.map { $0 <= now } == true }
                    for id in due.keys { state.waiters[id] = nil }
                    let following = state.waiters.values.compactMap(\.deadline).min()
                    state.timer = following.map { ($0, generation) }
                    return (Array(due.values), following)
                }
                for waiter in due { waiter.continuation.resume() }
                guard let following else { return }
                next = following
            }
        }
    }
}
