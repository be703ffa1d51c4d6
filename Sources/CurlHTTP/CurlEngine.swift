import Dispatch
import Foundation
import Logging
import Synchronization
private import CCurl

/// The shared, thread-safe half of a client: the queue of pending requests, the cancellation flags
/// and the worker thread's lifecycle. All curl calls happen on the worker thread (`CurlWorker`),
/// except `curl_multi_wakeup`, which libcurl documents as callable from any thread.
final class CurlEngine: Sendable {
    struct Job: Sendable {
        let id: UInt64
        let request: HTTPRequest
        let continuation: CheckedContinuation<Result<HTTPResponse, HTTPError>, Never>

        func finish(_ result: Result<HTTPResponse, HTTPError>) {
            continuation.resume(returning: result)
        }
    }

    /// The worker's multi handle, shared with other threads for one call only.
    ///
    /// `@unchecked Sendable` because it wraps a raw pointer: the only thing done with it off the
    /// worker thread is `curl_multi_wakeup`, which libcurl documents as thread-safe. The handle lives as
    /// long as the engine (the worker leaves it in `State.retired` and `deinit` frees it), so a wake-up
    /// taken from `State.waker` under the lock may be sent after the lock is released: the worker, woken,
    /// takes the lock at once, and waking it while holding the lock made it wait for the lock every time.
    struct Waker: @unchecked Sendable {
        let multi: UnsafeMutableRawPointer
        func wake() { _ = curl_multi_wakeup(multi) }
    }

    struct State {
        var nextJobID: UInt64 = 0
        var queue: [Job] = []
        var waker: Waker?
        /// The multi handle of a worker that has stopped, freed by `deinit`.
        var retired: Waker?
        /// The jobs the worker is transferring now (at most `concurrency`).
        var running: Set<UInt64> = []
        /// Running jobs whose task was cancelled: the worker ends them.
        var cancelled: Set<UInt64> = []
        var stopRequested = false
        /// The worker thread is started by the first request (a client that is never used has no thread).
        var started = false
        var connectionsOpened = 0
        var transfersCompleted = 0
        /// Tasks' jobs for the worker to run between its transfers (`TaskExecutor`).
        var jobs: [UnownedJob] = []
        /// The worker's thread id while it runs (0 before and after): it needs no wake-up for its own jobs.
        var workerThread: UInt64 = 0
        /// The worker has ended: jobs go to the global executor.
        var workerEnded = false
    }

    let name: String
    /// Transfers run at once (1: one at a time, in the order they were asked for).
    let concurrency: Int
    /// Longest a poll sleeps before the worker looks at its state again. Work arriving, cancellation and
    /// shutdown all wake it at once with `curl_multi_wakeup`, and a freed slot is filled before any poll, so
    /// this is only a safety net (tests make it a minute, so that nothing can lean on it).
    let pollSlice: Duration
    let maxResponseBytes: Int
    let logger: Logger?
    let state = Mutex(State())
    /// Entered before the worker starts, left when it has freed its handles.
    private let workerRunning = DispatchGroup()

    init(name: String, concurrency: Int = 1, maxResponseBytes: Int, logger: Logger?, pollSlice: Duration = .seconds(1)) {
        self.name = name
        self.concurrency = max(1, concurrency)
        self.pollSlice = pollSlice
        self.maxResponseBytes = maxResponseBytes
        self.logger = logger
    }

    deinit {
        // No request can wake the handle any more: nothing else holds the engine.
        if let retired = state.withLock({ $0.retired }) { _ = curl_multi_cleanup(retired.multi) }
    }

    var shutdownError: HTTPError { HTTPError(.cancelled, "the HTTP client '\(name)' was shut down") }

    /// Starts the worker thread; the caller has entered `workerRunning` (under the state's lock, so that a
    /// shutdown racing with the first request still waits for the worker).
    private func spawnWorker() {
        let thread = Thread { [self] in
            // The client's name (`matrix.sync`, `mattermost.send`) for `top -H`: a new thread otherwise carries
            // the name of the one that started it.
            skav_name_this_thread(name)
            CurlWorker.run(engine: self)
            workerRunning.leave()
        }
        thread.start()
    }

    func makeJobID() -> UInt64 {
        state.withLock { s in
            s.nextJobID += 1
            return s.nextJobID
        }
    }

    func enqueue(_ job: Job) {
        let (rejection, spawn, waker): (HTTPError?, Bool, Waker?) = state.withLock { s in
            if s.stopRequested { return (shutdownError, false, nil) }
            // The cancellation handler may have run before the job was queued; it sets the flag first.
            if Task.isCancelled { return (.cancelled, false, nil) }
            s.queue.append(job)
            // With every slot taken, the worker starts this job when a transfer ends: no need to wake it; nor
            // when the worker asks itself (a task running on it).
            guard !s.started else {
                let wake = s.running.count < concurrency && s.workerThread != Self.currentThread()
                return (nil, false, wake ? s.waker : nil)
            }
            s.started = true
            workerRunning.enter()
            return (nil, true, nil)
        }
        waker?.wake()
        if spawn { spawnWorker() }
        if let rejection { job.finish(.failure(rejection)) }
    }

    /// A job the worker took but could not start (an invalid request): it is finished, with its error.
    func notStarted(_ id: UInt64) {
        state.withLock { s in
            s.running.remove(id)
            s.cancelled.remove(id)
            s.transfersCompleted += 1
        }
    }

    func cancel(_ id: UInt64) {
        let (dropped, waker): (Job?, Waker?) = state.withLock { s in
            if let index = s.queue.firstIndex(where: { $0.id == id }) {
                return (s.queue.remove(at: index), nil)
            }
            if s.running.contains(id) {
                s.cancelled.insert(id)
                return (nil, s.waker)
            }
            return (nil, nil)
        }
        waker?.wake()
        dropped?.finish(.failure(.cancelled))
    }

    func shutdown() {
        let (waker, onWorker): (Waker?, Bool) = state.withLock { s in
            let onWorker = s.workerThread != 0 && s.workerThread == Self.currentThread()
            guard !s.stopRequested else { return (nil, onWorker) }
            s.stopRequested = true
            return (s.waker, onWorker)
        }
        waker?.wake()
        // Asked by a task running on the worker itself (the last reference to a client dropped there): the
        // worker stops when that job returns; waiting for it here would wait for ourselves.
        if onWorker { return }
        // The worker is woken out of its poll at once; bound the wait anyway so that a bug can only
        // stall a caller, never deadlock it.
        if workerRunning.wait(timeout: .now() + .seconds(5)) == .timedOut {
            logger?.warning("curl worker did not stop within 5 s", metadata: ["http.client": "\(name)"])
        }
    }

    var isShutdownRequested: Bool { state.withLock { $0.stopRequested } }
    var hasStarted: Bool { state.withLock { $0.started } }
    var connectionsOpened: Int { state.withLock { $0.connectionsOpened } }
    var transfersCompleted: Int { state.withLock { $0.transfersCompleted } }
}

/// The worker thread as an executor of tasks (`withTaskExecutorPreference`): a task that waits for its
/// transfers resumes on the thread that finished them, without a hop to the global executor's threads and
/// the wake-ups that costs (two thread switches for every request). The worker runs queued jobs before it
/// polls; a job runs to its next suspension, so what runs here must not block for long.
extension CurlEngine: TaskExecutor {
    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let (accepted, spawn, waker): (Bool, Bool, Waker?) = state.withLock { s in
            if s.workerEnded || s.stopRequested { return (false, false, nil) }
            s.jobs.append(unowned)
            if !s.started {
                s.started = true
                workerRunning.enter()
                return (true, true, nil)
            }
            // The worker's own jobs (a transfer it finished resumed a task) need no wake-up.
            return (true, false, s.workerThread == Self.currentThread() ? nil : s.waker)
        }
        waker?.wake()
        if spawn { spawnWorker() }
        if !accepted { globalConcurrentExecutor.enqueue(ExecutorJob(unowned)) }
    }

    /// Runs the jobs queued so far; those they queue run on the worker's next turn, after its transfers
    /// have been looked at (a task that keeps yielding cannot starve them).
    func runJobs() {
        let jobs: [UnownedJob] = state.withLock { s in
            let jobs = s.jobs
            s.jobs = []
            return jobs
        }
        guard !jobs.isEmpty else { return }
        let executor = asUnownedTaskExecutor()
        for job in jobs { job.runSynchronously(on: executor) }
    }

    /// The worker has stopped: jobs still queued, and any that come later, run on the global executor.
    func handOffJobs() {
        let jobs: [UnownedJob] = state.withLock { s in
            s.workerEnded = true
            s.workerThread = 0
            let jobs = s.jobs
            s.jobs = []
            return jobs
        }
        for job in jobs { globalConcurrentExecutor.enqueue(ExecutorJob(job)) }
    }

    static func currentThread() -> UInt64 { UInt64(pthread_self()) }
}

