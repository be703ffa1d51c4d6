import Foundation
public import Logging

/// Up to `size` requests at once behind one `HTTPClient`: one `CurlHTTPClient` whose thread drives that many
/// transfers with one multi handle. A request never queues behind a slow one while a slot is free, and a
/// burst of sends costs one thread's wake-ups, not one thread's per send (32 threads, each woken for its own
/// transfer, spent more time switching than sending). The bot sends through a pool so that a slow send to
/// one room does not hold up the sends to others.
public final class CurlHTTPClientPool: HTTPClient {
    private let client: CurlHTTPClient

    public convenience init(name: String, size: Int, maxResponseBytes: Int = 8 << 20, logger: Logger? = nil) {
        self.init(name: name, size: size, maxResponseBytes: maxResponseBytes, logger: logger, pollSlice: .seconds(1))
    }

    /// `pollSlice` as `CurlHTTPClient`'s.
    package init(name: String, size: Int, maxResponseBytes: Int, logger: Logger?, pollSlice: Duration) {
        client = CurlHTTPClient(
            name: name, concurrency: max(1, size), maxResponseBytes: maxResponseBytes, logger: logger, pollSlice: pollSlice)
    }

    /// Requests run at once.
    public var size: Int { client.concurrency }

    /// Requests completed (for tests and figures).
    public var transfersCompleted: Int { client.transfersCompleted }

    /// Connections opened so far.
    public var connectionsOpened: Int { client.connectionsOpened }

    /// True once the first request started the worker thread.
    public var hasStarted: Bool { client.hasStarted }

    public func execute(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        try await client.execute(request)
    }

    /// Stops the client (see `CurlHTTPClient.shutdown`).
    public func shutdown() {
        client.shutdown()
    }
}
