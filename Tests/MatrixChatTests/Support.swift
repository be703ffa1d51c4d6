import Chat
import CurlHTTP
import Foundation
import Logging
import Synchronization
import Testing

@testable import MatrixChat

/// Loads a recorded JSON fixture from `Fixtures/` next to this file.
func fixture(_ name: String) -> Data {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(name + ".json")
    guard let data = try? Data(contentsOf: url) else {
        Issue.record("missing fixture \(name)")
        return Data()
    }
    return data
}

/// A fake homeserver connection: answers from a queue of canned replies and records every request.
final class ScriptedHTTPClient: HTTPClient {
    enum Reply: Sendable {
        case response(HTTPResponse)
        case failure(HTTPError)
        /// Holds the request open until the task is cancelled (a long poll with nothing to say).
        case hang

        static func json(_ status: Int = 200, _ fixtureName: String, headers: [String: String] = [:]) -> Reply {
            .response(HTTPResponse(status: status, headers: headers, body: fixture(fixtureName)))
        }

        static func raw(_ status: Int, _ body: String, headers: [String: String] = [:]) -> Reply {
            .response(HTTPResponse(status: status, headers: headers, body: Data(body.utf8)))
        }
    }

    private struct State {
        var replies: [Reply]
        var requests: [HTTPRequest] = []
    }

    private let state: Mutex<State>
    /// Answers when the queue is empty (for tests whose request order is not fixed).
    private let fallback: (@Sendable (HTTPRequest) -> Reply)?

    init(_ replies: [Reply] = [], fallback: (@Sendable (HTTPRequest) -> Reply)? = nil) {
        state = Mutex(State(replies: replies))
        self.fallback = fallback
    }

    func enqueue(_ replies: Reply...) { state.withLock { $0.replies += replies } }

    var requests: [HTTPRequest] { state.withLock { $0.requests } }
    var remaining: Int { state.withLock { $0.replies.count } }

    func execute(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        let reply = state.withLock { state -> Reply? in
            state.requests.append(request)
            return state.replies.isEmpty ? nil : state.replies.removeFirst()
        }
        switch reply ?? fallback?(request) {
        case .response(let response): return response
        case .failure(let error): throw error
        case .hang:
            do { try await Task.sleep(for: .seconds(60)) } catch { throw HTTPError.cancelled }
            throw HTTPError.timedOut("fake long poll ran out")
        case nil:
            Issue.record("unscripted request: \(request.method) \(request.url)")
            throw HTTPError(.invalidRequest, "unscripted request")
        }
    }
}

/// Credentials kept in memory.
final class MemoryCredentialStore: CredentialStore {
    private let stored: Mutex<(value: StoredCredentials?, saves: Int)>
    init(_ credentials: StoredCredentials? = nil) { stored = Mutex((credentials, 0)) }
    func loadCredentials() async throws -> StoredCredentials? { stored.withLock { $0.value } }
    func saveCredentials(_ credentials: StoredCredentials?) async throws {
        stored.withLock {
            $0.value = credentials
            $0.saves += 1
        }
    }
    var current: StoredCredentials? { stored.withLock { $0.value } }
    var saves: Int { stored.withLock { $0.saves } }
}

/// Records every log line (message and metadata rendered as text), never bootstraps the logging system.
final class LogRecorder: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    func append(_ line: String) { lines.withLock { $0.append(line) } }

    var logger: Logger {
        Logger(label: "test.matrix") { _ in Handler(recorder: self) }
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

/// Records the delays the adapter asks for and returns at once.
final class SleepRecorder: Sendable {
    private let slept = Mutex<[Duration]>([])
    var durations: [Duration] { slept.withLock { $0 } }
    var function: @Sendable (Duration) async throws -> Void {
        { [self] duration in
            slept.withLock { $0.append(duration) }
            try Task.checkCancellation()
        }
    }
}

let testUser = "@skav:example.org"
let storedToken = "syt_STOREDTOKEN_secret"
let testPassword = "correct horse battery staple"

/// A service wired to fakes; `sync` and `send` may be the same client.
struct Harness {
    let sync: ScriptedHTTPClient
    let send: ScriptedHTTPClient
    let store: MemoryCredentialStore
    let logs = LogRecorder()
    let sleeper = SleepRecorder()
    let service: MatrixChatService

    init(
        sync: [ScriptedHTTPClient.Reply] = [],
        send: [ScriptedHTTPClient.Reply] = [],
        stored: StoredCredentials? = StoredCredentials(userID: testUser, accessToken: storedToken, deviceID: "SKAV"),
        password: String? = nil,
        accessToken: String? = nil,
        configure: (inout MatrixConfig) -> Void = { _ in }
    ) {
        self.sync = ScriptedHTTPClient(sync)
        self.send = ScriptedHTTPClient(send)
        store = MemoryCredentialStore(stored)
        var config = MatrixConfig(
            homeserver: "https://matrix.example.org/", userID: testUser, password: password, accessToken: accessToken)
        configure(&config)
        service = MatrixChatService(
            config: config, syncClient: self.sync, sendClient: self.send, credentials: store, logger: logs.logger,
            sleep: sleeper.function, random: SplitMix.seeded(42), now: { Date(timeIntervalSince1970: 1_800_000_000) })
    }

    /// Every request of both clients, in the order each client saw them (send client first).
    var allRequests: [HTTPRequest] { send.requests + sync.requests }

    /// No log line may show a secret.
    func expectNoSecretsLogged(_ secrets: [String] = [storedToken, testPassword, "LOGINTOKEN"]) {
        for line in logs.all {
            for secret in secrets {
                #expect(!line.contains(secret), "a secret reached the log: \(line)")
            }
        }
    }
}

extension HTTPRequest {
    var path: String {
        let afterScheme = url.components(separatedBy: "/_matrix/client/v3").dropFirst().joined()
        return afterScheme.split(separator: "?", maxSplits: 1).first.map(String.init) ?? afterScheme
    }

    var query: [String: String] {
        guard let q = url.split(separator: "?", maxSplits: 1).dropFirst().first else { return [:] }
        var out: [String: String] = [:]
        for pair in q.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            out[parts[0].removingPercentEncoding ?? parts[0]] = parts.count > 1 ? (parts[1].removingPercentEncoding ?? parts[1]) : ""
        }
        return out
    }

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var json: JSON? { body.flatMap { try? JSON.parse($0) } }
}

/// A deterministic random source for backoff jitter. (A constant source would hang `Int.random(in:using:)`,
/// whose rejection sampling never accepts an all-zero generator.)
enum SplitMix {
    static func seeded(_ seed: UInt64) -> @Sendable () -> UInt64 {
        let state = Mutex(seed)
        return {
            state.withLock { state in
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                return z ^ (z >> 31)
            }
        }
    }
}
