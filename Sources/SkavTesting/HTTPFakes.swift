import Chat
import CurlHTTP
import Foundation
import Logging
import Synchronization
import Testing

/// A fake server connection for the adapters' tests: answers from a queue of canned replies, then from
/// `fallback`, and records every request.
public final class ScriptedHTTPClient: HTTPClient {
    public enum Reply: Sendable {
        case response(HTTPResponse)
        case failure(HTTPError)
        /// Holds the request open until the task is cancelled (a long poll with nothing to say).
        case hang

        /// Header names lower-cased, as `CurlHTTPClient` gives them.
        public static func lowered(_ headers: [String: String]) -> [String: String] {
            Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
        }

        public static func raw(_ status: Int, _ body: String, headers: [String: String] = [:]) -> Reply {
            .response(HTTPResponse(status: status, headers: lowered(headers), body: Data(body.utf8)))
        }

        public static func data(_ status: Int, _ body: Data, headers: [String: String] = [:]) -> Reply {
            .response(HTTPResponse(status: status, headers: lowered(headers), body: body))
        }
    }

    private struct State {
        var replies: [Reply]
        var requests: [HTTPRequest] = []
    }

    private let state: Mutex<State>
    /// Answers when the queue is empty (for tests whose request order is not fixed).
    private let fallback: (@Sendable (HTTPRequest) -> Reply)?

    public init(_ replies: [Reply] = [], fallback: (@Sendable (HTTPRequest) -> Reply)? = nil) {
        state = Mutex(State(replies: replies))
        self.fallback = fallback
    }

    public func enqueue(_ replies: Reply...) { state.withLock { $0.replies += replies } }

    public var requests: [HTTPRequest] { state.withLock { $0.requests } }
    public var remaining: Int { state.withLock { $0.replies.count } }
    public func resetRequests() { state.withLock { $0.requests = [] } }

    public func execute(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        let reply = state.withLock { state -> Reply? in
            state.requests.append(request)
            return state.replies.isEmpty ? nil : state.replies.removeFirst()
        }
        switch reply ?? fallback?(request) {
        case .response(let response): return response
        case .failure(let error): throw error
        case .hang:
            do { try await Task.sleep(for: .seconds(60)) } catch { throw HTTPError.cancelled }
            throw HTTPError.timedOut("fake request ran out")
        case nil:
            Issue.record("unscripted request: \(request.method) \(request.url)")
            throw HTTPError(.invalidRequest, "unscripted request")
        }
    }
}

/// Records every log line (message and metadata rendered as text), never bootstraps the logging system.
public final class LogRecorder: Sendable {
    private let lines = Mutex<[String]>([])
    private let label: String

    public init(label: String = "test") { self.label = label }

    public var all: [String] { lines.withLock { $0 } }
    public func append(_ line: String) { lines.withLock { $0.append(line) } }

    public var logger: Logger {
        Logger(label: label) { _ in Handler(recorder: self) }
    }

    struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var metadataProvider: Logger.MetadataProvider?
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
            let rendered = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            recorder.append("\(event.level) \(event.message) \(rendered)")
        }
    }
}

/// Records the delays the code under test asks for and returns at once; a virtual monotonic clock moves on
/// by each of them (and by `advance`).
public final class SleepRecorder: Sendable {
    private let slept = Mutex<[Duration]>([])
    private let clock = Mutex(Duration.zero)

    public init() {}

    public var durations: [Duration] { slept.withLock { $0 } }
    public var function: @Sendable (Duration) async throws -> Void {
        { [self] duration in
            slept.withLock { $0.append(duration) }
            advance(duration)
            try Task.checkCancellation()
        }
    }
    public func advance(_ duration: Duration) { clock.withLock { $0 += duration } }
    public var uptime: @Sendable () -> Duration { { [self] in clock.withLock { $0 } } }
}

extension SplitMix64 {
    /// A deterministic random source as a closure (the adapters' backoff jitter takes one). A constant source
    /// would hang `Int.random(in:using:)`, whose rejection sampling never accepts an all-zero generator.
    public static func source(seed: UInt64) -> @Sendable () -> UInt64 {
        let state = Mutex(SplitMix64(seed: seed))
        return { state.withLock { $0.next() } }
    }
}

extension HTTPRequest {
    /// The query's parameters, decoded.
    public var query: [String: String] {
        guard let q = url.split(separator: "?", maxSplits: 1).dropFirst().first else { return [:] }
        var out: [String: String] = [:]
        for pair in q.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            out[parts[0].removingPercentEncoding ?? parts[0]] =
                parts.count > 1 ? (parts[1].removingPercentEncoding ?? parts[1]) : ""
        }
        return out
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}
