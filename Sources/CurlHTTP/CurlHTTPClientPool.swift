import Foundation
public import Logging
import Synchronization

/// Several `CurlHTTPClient`s behind one `HTTPClient`: requests are spread over them in turn, so up to
/// `size` requests run at once (each client runs its own one at a time, on its own thread and its own
/// kept-alive connection). The bot sends through a pool so that a slow send to one room does not hold up
/// the sends to others.
public final class CurlHTTPClientPool: HTTPClient {
    private let clients: [CurlHTTPClient]
    private let turn = Mutex(0)

    public init(name: String, size: Int, maxResponseBytes: Int = 8 << 20, logger: Logger? = nil) {
        clients = (0..<max(1, size)).map {
            CurlHTTPClient(name: "\(name).\($0)", maxResponseBytes: maxResponseBytes, logger: logger)
        }
    }

    public var size: Int { clients.count }

    public func execute(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        let index = turn.withLock { turn -> Int in
            defer { turn = (turn + 1) % clients.count }
            return turn
        }
        return try await clients[index].execute(request)
    }

    /// Stops every client (see `CurlHTTPClient.shutdown`).
    public func shutdown() {
        for client in clients { client.shutdown() }
    }
}
