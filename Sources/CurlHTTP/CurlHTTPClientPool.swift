import Foundation
public import Logging
import Synchronization

/// Several `CurlHTTPClient`s behind one `HTTPClient`: each request goes to a client with the fewest
/// requests in hand (the first among equals), so up to `size` requests run at once (each client runs its
/// own one at a time, on its own thread and its own kept-alive connection) and a request never queues
/// behind a slow one while another client is free. Requests one at a time all go to the first client: its
/// thread and connection stay warm, and the clients further on start their threads only when that many
/// requests were ever in hand at once. The bot sends through a pool so that a slow send to one
/// room does not hold up the sends to others.
public final class CurlHTTPClientPool: HTTPClient {
    private let clients: [CurlHTTPClient]
    private struct Load {
        /// Requests in hand per client (queued or running).
        var inHand: [Int]
    }
    private let load: Mutex<Load>

    public init(name: String, size: Int, maxResponseBytes: Int = 8 << 20, logger: Logger? = nil) {
        clients = (0..<max(1, size)).map {
            CurlHTTPClient(name: "\(name).\($0)", maxResponseBytes: maxResponseBytes, logger: logger)
        }
        load = Mutex(Load(inHand: Array(repeating: 0, count: max(1, size))))
    }

    public var size: Int { clients.count }

    /// Requests each client has completed, in order (for tests and figures).
    public var transfersCompleted: [Int] { clients.map(\.transfersCompleted) }

    /// How many clients have started their worker thread (a client starts it with its first request).
    public var startedWorkers: Int { clients.filter(\.hasStarted).count }

    public func execute(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        let index = load.withLock { load -> Int in
            var best = 0
            for candidate in load.inHand.indices {
                if load.inHand[candidate] < load.inHand[best] { best = candidate }
                if load.inHand[best] == 0 { break }
            }
            load.inHand[best] += 1
            return best
        }
        defer { load.withLock { $0.inHand[index] -= 1 } }
        return try await clients[index].execute(request)
    }

    /// Stops every client (see `CurlHTTPClient.shutdown`).
    public func shutdown() {
        for client in clients { client.shutdown() }
    }
}
