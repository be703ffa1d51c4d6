import Chat
import CurlHTTP
import Foundation
import Synchronization
import SkavTesting
import Testing

@testable import MatrixChat

@Suite("Matrix credentials")
struct AuthTests {
    @Test("password login uses m.login.password with the device id and persists token and device")
    func passwordLogin() async throws {
        let h = Harness(send: [.json(200, "login")], stored: nil, password: testPassword)
        let me = try await h.service.connect()
        #expect(me == UserID(testUser))
        #expect(h.send.requests.count == 1)
        let login = try #require(h.send.requests.first)
        #expect(login.method == "POST")
        #expect(login.url == "https://matrix.example.org/_matrix/client/v3/login")
        #expect(login.header("Authorization") == nil)
        #expect(login.header("Content-Type") == "application/json")
        let body = try #require(login.json)
        #expect(body["type"] == "m.login.password")
        #expect(body["identifier"] == ["type": "m.id.user", "user": .string(testUser)])
        #expect(body["password"] == .string(testPassword))
        #expect(body["device_id"] == "SKAV")
        #expect(
            h.store.current
                == StoredCredentials(userID: testUser, accessToken: "syt_c2thdg_LOGINTOKEN_0001", deviceID: "SKAV"))
        h.expectNoSecretsLogged()
    }

    @Test("stored token is checked with whoami and reused without a login")
    func storedTokenReused() async throws {
        let h = Harness(send: [.json(200, "whoami")], password: testPassword)
        let me = try await h.service.connect()
        #expect(me == UserID(testUser))
        #expect(h.send.requests.map(\.path) == ["/account/whoami"])
        #expect(h.send.requests[0].header("Authorization") == "Bearer \(storedToken)")
        #expect(h.store.saves == 0)
        // A later request uses the same token; connect is not repeated.
        h.sync.enqueue(.raw(200, #"{"next_batch":"s1"}"#))
        _ = try await h.service.poll(cursor: nil)
        #expect(h.sync.requests[0].header("Authorization") == "Bearer \(storedToken)")
        #expect(h.send.requests.count == 1)
        h.expectNoSecretsLogged()
    }

    @Test("soft logout: log in again with the same device id")
    func softLogoutKeepsDevice() async throws {
        let h = Harness(
            send: [
                .json(401, "error_unknown_token_soft"),
                .raw(200, #"{"user_id":"@skav:example.org","access_token":"syt_NEWTOKEN","device_id":"DEVICE42"}"#),
            ],
            stored: StoredCredentials(userID: testUser, accessToken: storedToken, deviceID: "DEVICE42"),
            password: testPassword)
        _ = try await h.service.connect()
        #expect(h.send.requests.map(\.path) == ["/account/whoami", "/login"])
        #expect(h.send.requests[1].json?["device_id"] == "DEVICE42")
        #expect(h.store.current == StoredCredentials(userID: testUser, accessToken: "syt_NEWTOKEN", deviceID: "DEVICE42"))
        h.expectNoSecretsLogged([storedToken, testPassword, "syt_NEWTOKEN"])
    }

    @Test("a token that expires mid-run is renewed once and the request retried")
    func renewalDuringSend() async throws {
        let h = Harness(
            send: [
                .json(200, "whoami"),
                .json(401, "error_unknown_token_soft"),
                .raw(200, #"{"user_id":"@skav:example.org","access_token":"syt_NEWTOKEN","device_id":"SKAV"}"#),
                .json(200, "send_ok"),
            ],
            password: testPassword)
        _ = try await h.service.connect()
        let sent = try await h.service.send(OutgoingMessage(txnID: "t1", room: "!r:example.org", body: "hej"))
        #expect(sent.remoteID == "$Hn6nFqjxgFgoyLt4VFa0AkSyPX2dyE3NQC8ZFgh9e1I")
        let requests = h.send.requests
        #expect(requests.map(\.method) == ["GET", "PUT", "POST", "PUT"])
        #expect(requests[1].header("Authorization") == "Bearer \(storedToken)")
        #expect(requests[3].header("Authorization") == "Bearer syt_NEWTOKEN")
        // The retried send keeps its transaction id: the server de-duplicates it.
        #expect(requests[1].url == requests[3].url)
        #expect(requests[2].json?["device_id"] == "SKAV")
        h.expectNoSecretsLogged([storedToken, testPassword, "syt_NEWTOKEN"])
    }

    @Test("hard 401 without a password: unauthorized, with an operator message")
    func hardLogoutWithoutPassword() async throws {
        let h = Harness(send: [.json(401, "error_unknown_token")])
        let error = await #expect(throws: ChatError.self) { try await h.service.connect() }
        #expect(error?.code == .unauthorized)
        #expect(error?.message.contains("SKAV_MATRIX_PASSWORD") == true)
        #expect(h.send.requests.count == 1)
        #expect(h.store.saves == 0)
    }

    @Test("hard 401 during a send without a password: unauthorized, no login attempt")
    func hardLogoutDuringSend() async throws {
        let h = Harness(send: [.json(200, "whoami"), .json(401, "error_unknown_token")])
        _ = try await h.service.connect()
        let error = await #expect(throws: ChatError.self) {
            try await h.service.send(OutgoingMessage(txnID: "t1", room: "!r:example.org", body: "hej"))
        }
        #expect(error?.code == .unauthorized)
        #expect(error?.serverCode == "M_UNKNOWN_TOKEN")
        #expect(h.send.requests.count == 2)
    }

    @Test("configured access token: whoami tells user and device; persisted")
    func configuredToken() async throws {
        let h = Harness(
            send: [.raw(200, #"{"user_id":"@skav:example.org","device_id":"TOKENDEV"}"#)], stored: nil,
            accessToken: "syt_CONFIGTOKEN")
        let me = try await h.service.connect()
        #expect(me == UserID(testUser))
        #expect(h.send.requests[0].header("Authorization") == "Bearer syt_CONFIGTOKEN")
        #expect(h.store.current == StoredCredentials(userID: testUser, accessToken: "syt_CONFIGTOKEN", deviceID: "TOKENDEV"))
        h.expectNoSecretsLogged(["syt_CONFIGTOKEN"])
    }

    @Test("a token of another user is refused")
    func tokenOfAnotherUser() async throws {
        let h = Harness(
            send: [.raw(200, #"{"user_id":"@someone:example.org"}"#)], stored: nil, accessToken: "syt_CONFIGTOKEN")
        let error = await #expect(throws: ChatError.self) { try await h.service.connect() }
        #expect(error?.code == .unauthorized)
    }

    @Test("no credentials at all: unauthorized")
    func noCredentials() async throws {
        let h = Harness(stored: nil)
        let error = await #expect(throws: ChatError.self) { try await h.service.connect() }
        #expect(error?.code == .unauthorized)
        #expect(h.send.requests.isEmpty)
    }

    @Test("wrong password: unauthorized")
    func wrongPassword() async throws {
        let h = Harness(
            send: [.raw(403, #"{"errcode":"M_FORBIDDEN","error":"Invalid username or password"}"#)], stored: nil,
            password: "wrong")
        let error = await #expect(throws: ChatError.self) { try await h.service.connect() }
        #expect(error?.code == .unauthorized)
        #expect(error?.serverCode == "M_FORBIDDEN")
    }

    @Test("concurrent 401s make a single login")
    func singleFlightRenewal() async throws {
        let logins = Mutex(0)
        let client = ScriptedHTTPClient { request in
            if request.path == "/login" {
                logins.withLock { $0 += 1 }
                return .raw(200, #"{"user_id":"@skav:example.org","access_token":"syt_NEWTOKEN","device_id":"SKAV"}"#)
            }
            if request.path == "/account/whoami" { return .json(200, "whoami") }
            if request.header("Authorization") == "Bearer \(storedToken)" { return .json(401, "error_unknown_token_soft") }
            return .raw(200, "{}")
        }
        let store = MemoryCredentialStore(StoredCredentials(userID: testUser, accessToken: storedToken, deviceID: "SKAV"))
        let service = MatrixChatService(
            config: MatrixConfig(homeserver: "https://hs", userID: testUser, password: testPassword),
            syncClient: client, sendClient: client, credentials: store, logger: LogRecorder().logger,
            sleep: { _ in })
        _ = try await service.connect()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<8 { group.addTask { try await service.join(RoomID("!r\(index):hs")) } }
            try await group.waitForAll()
        }
        #expect(logins.withLock { $0 } == 1)
        #expect(store.current?.accessToken == "syt_NEWTOKEN")
    }
}
