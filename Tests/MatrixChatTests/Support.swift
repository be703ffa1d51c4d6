import Chat
import CurlHTTP
import Foundation
import Logging
import Synchronization
import SkavTesting
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

extension ScriptedHTTPClient.Reply {
    /// A recorded fixture from `Fixtures/` as the answer.
    static func json(_ status: Int = 200, _ fixtureName: String, headers: [String: String] = [:]) -> Self {
        .data(status, fixture(fixtureName), headers: headers)
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

let testUser = "@skav:example.org"
let storedToken = "syt_STOREDTOKEN_secret"
let testPassword = "correct horse battery staple"

/// A service wired to fakes; `sync` and `send` may be the same client.
struct Harness {
    let sync: ScriptedHTTPClient
    let send: ScriptedHTTPClient
    let store: MemoryCredentialStore
    let logs = LogRecorder(label: "test.matrix")
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
        // The scripted replies answer every request in turn: the filter is stored only where a test says so
        // (`StoredFilterTests`).
        config.storesSyncFilter = false
        configure(&config)
        service = MatrixChatService(
            config: config, syncClient: self.sync, sendClient: self.send, credentials: store, logger: logs.logger,
            sleep: sleeper.function, random: SplitMix64.source(seed: 42), now: { Date(timeIntervalSince1970: 1_800_000_000) })
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

/// A harness already connected with the stored token: `whoami` answers first on the send client, then `send`.
func connected(
    send: [ScriptedHTTPClient.Reply] = [], sync: [ScriptedHTTPClient.Reply] = [],
    configure: (inout MatrixConfig) -> Void = { _ in }
) async throws -> Harness {
    let h = Harness(sync: sync, send: [.json(200, "whoami")] + send, configure: configure)
    _ = try await h.service.connect()
    return h
}

extension HTTPRequest {
    var path: String {
        let afterScheme = url.components(separatedBy: "/_matrix/client/v3").dropFirst().joined()
        return afterScheme.split(separator: "?", maxSplits: 1).first.map(String.init) ?? afterScheme
    }



    var json: JSON? { body.flatMap { try? JSON.parse($0) } }
}

