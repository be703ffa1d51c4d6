import Foundation
public import Logging

/// An `HTTPClient` over libcurl.
///
/// Each client owns one dedicated thread and one private multi handle, which drives up to `concurrency`
/// transfers at once on reused easy handles (connections are kept alive and reused). With a concurrency of
/// 1 (the default) requests run one at a time, in the order they were made; use a second client for work
/// that must not wait behind a long poll (the bot sends on one client while another holds the 30 s sync).
/// With more, requests start in the order they were made, up to that many at once, and each ends when its
/// answer is in: a slow one holds up none of the others.
///
/// Task cancellation ends a request promptly: a queued request is dropped at once, an open transfer
/// is woken out of `curl_multi_poll` and aborted, and `execute` throws `HTTPError.cancelled`.
///
/// Call `shutdown()` when done (deinit does it too): open and queued requests then fail with
/// code `.cancelled`, and the thread ends after freeing its handles.
public final class CurlHTTPClient: HTTPClient {
    /// A name for logs and for the worker thread.
    public let name: String
    /// Largest response body accepted; a larger one fails with `.responseTooLarge`.
    public let maxResponseBytes: Int

    private let engine: CurlEngine

    /// Transfers this client runs at once.
    public var concurrency: Int { engine.concurrency }

    public convenience init(name: String, concurrency: Int = 1, maxResponseBytes: Int = 8 << 20, logger: Logger? = nil) {
        self.init(name: name, concurrency: concurrency, maxResponseBytes: maxResponseBytes, logger: logger, pollSlice: .seconds(1))
    }

    /// `pollSlice`: the longest the worker sleeps without being woken (tests make it long, so that a test fails
    /// where the worker would lean on it instead of being woken).
    package init(name: String, concurrency: Int, maxResponseBytes: Int, logger: Logger?, pollSlice: Duration) {
        self.name = name
        self.maxResponseBytes = max(0, maxResponseBytes)
        self.engine = CurlEngine(
            name: name, concurrency: concurrency, maxResponseBytes: self.maxResponseBytes, logger: logger, pollSlice: pollSlice)
    }

    deinit {
        engine.shutdown()
    }

    public func execute(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        let engine = self.engine
        let id = engine.makeJobID()
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<HTTPResponse, HTTPError>, Never>) in
                engine.enqueue(CurlEngine.Job(id: id, request: request, continuation: continuation))
            }
        } onCancel: {
            engine.cancel(id)
        }
        return try result.get()
    }

    /// Stops the client: fails open and queued requests with code `.cancelled`, then waits (briefly:
    /// the worker is woken at once) until the worker thread has freed its curl handles.
    /// Idempotent; later `execute` calls fail at once with code `.cancelled`.
    public func shutdown() {
        engine.shutdown()
    }

    /// The client's worker thread as a task executor: a task that prefers it (`withTaskExecutorPreference`)
    /// runs there, and resumes there when its requests end, without thread hops.
    public var taskExecutor: any TaskExecutor { engine }

    /// True once the first request started the worker thread.
    public var hasStarted: Bool { engine.hasStarted }

    /// True once `shutdown()` has been called (or deinit ran).
    public var isShutdown: Bool { engine.isShutdownRequested }

    /// Connections this client has opened so far (the sum of `CURLINFO_NUM_CONNECTS` over its
    /// transfers). With keep-alive, many requests to one server open one connection.
    public var connectionsOpened: Int { engine.connectionsOpened }

    /// Transfers this client has finished, successfully or not (cancelled queued requests excluded).
    public var transfersCompleted: Int { engine.transfersCompleted }
}
