import Chat
import CurlHTTP
import Foundation
import Synchronization
import SkavTesting
import Testing

@testable import MatrixChat

/// The adapter against a real Synapse on 127.0.0.1, over the real libcurl client.
/// Runs when a Python with matrix-synapse is found ($SKAV_VENV or ~/.cache/skav/venv); skipped otherwise.
/// The project's full end-to-end suite (the bot driven by a human client) lives in Tests/e2e.
enum LocalSynapse {
    static var python: String? {
        if ProcessInfo.processInfo.environment["SKAV_SKIP_SYNAPSE"] != nil { return nil }
        let venv =
            ProcessInfo.processInfo.environment["SKAV_VENV"]
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/skav/venv").path
        let python = venv + "/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python),
            FileManager.default.fileExists(atPath: venv + "/bin/synctl")
                || FileManager.default.fileExists(atPath: venv + "/bin/synapse_homeserver")
                || FileManager.default.fileExists(atPath: venv + "/bin/generate_config")
        else { return nil }
        return python
    }

    static var available: Bool { python != nil }

    /// Starts a throwaway Synapse with the project's harness (Tests/e2e/synapse_harness.py --serve), runs `body` with its base URL, and stops it
    /// whatever happens.
    static func run(_ body: (String) async throws -> Void) async throws {
        let python = try #require(python)
        let workdir = FileManager.default.temporaryDirectory.appendingPathComponent("skav-matrix-it-\(UUID().uuidString)")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("e2e/synapse_harness.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, "--serve", workdir.path]
        try FileManager.default.createDirectory(at: workdir, withIntermediateDirectories: true)
        process.standardOutput = FileHandle.nullDevice
        try process.run()

        var outcome: Result<Void, any Error> = .success(())
        do {
            // The starter writes the port once /_matrix/client/versions answers.
            var port: String?
            let started = ContinuousClock.now
            while port == nil, ContinuousClock.now - started < .seconds(90), process.isRunning {
                port = try? String(contentsOf: workdir.appendingPathComponent("port"), encoding: .utf8)
                if port == nil { try await Task.sleep(for: .milliseconds(200)) }
            }
            let found = try #require(port, "Synapse did not start; see \(workdir.path)")
            try await body("http://127.0.0.1:\(found)")
        } catch {
            outcome = .failure(error)
        }

        process.terminate()
        let stopping = ContinuousClock.now
        while process.isRunning, ContinuousClock.now - stopping < .seconds(20) {
            try? await Task.sleep(for: .milliseconds(100))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        if case .success = outcome { try? FileManager.default.removeItem(at: workdir) }
        try outcome.get()
    }
}

/// A person on the homeserver, speaking the client-server API directly.
struct Person {
    let client: CurlHTTPClient
    let base: String
    var token = ""
    var userID = ""

    @discardableResult
    func call(_ method: String, _ path: String, query: [(String, String)] = [], body: JSON? = nil, token: String? = nil)
        async throws -> (status: Int, json: JSON)
    {
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
        if let token = token ?? (self.token.isEmpty ? nil : self.token) {
            headers.append(("Authorization", "Bearer \(token)"))
        }
        let response = try await client.execute(
            HTTPRequest(
                method: method, url: MatrixPath.url(base: base, path: path, query: query), headers: headers,
                body: (body ?? (method == "GET" ? nil : .object([:])))?.encoded, timeout: .seconds(20)))
        return (response.status, (try? JSON.parse(response.body)) ?? .null)
    }

    /// Registers a user (UIA with m.login.dummy) and returns the person logged in.
    static func register(_ name: String, password: String, client: CurlHTTPClient, base: String) async throws -> Person {
        var person = Person(client: client, base: base)
        var auth: JSON = ["type": "m.login.dummy"]
        for _ in 0..<2 {
            let (status, json) = try await person.call(
                "POST", "/register", body: ["username": .string(name), "password": .string(password), "auth": auth])
            if status == 200, let token = json["access_token"]?.string, let user = json["user_id"]?.string {
                person.token = token
                person.userID = user
                return person
            }
            if status == 401, let session = json["session"]?.string {
                auth = ["type": "m.login.dummy", "session": .string(session)]
                continue
            }
            throw ChatError(.rejected, "register \(name): HTTP \(status) \(json.encodedString)")
        }
        throw ChatError(.rejected, "register \(name): no success")
    }

    func send(_ room: RoomID, _ content: JSON, txn: String = UUID().uuidString) async throws -> String {
        let (status, json) = try await call(
            "PUT", "/rooms/\(MatrixPath.encode(room.rawValue))/send/m.room.message/\(txn)", body: content)
        guard status == 200, let id = json["event_id"]?.string else {
            throw ChatError(.rejected, "send: HTTP \(status) \(json.encodedString)")
        }
        return id
    }
}

@Suite("Matrix adapter against a real Synapse", .enabled(if: LocalSynapse.available), .timeLimit(.minutes(3)))
struct SynapseIntegrationTests {
    @Test("login, invite, join, receive, reply, idempotent resend, re-login after logout, cancellation")
    func fullRound() async throws {
        try await LocalSynapse.run { base in try await fullRound(base: base) }
    }

    func fullRound(base: String) async throws {
        let humanClient = CurlHTTPClient(name: "it-human")
        let syncClient = CurlHTTPClient(name: "it-sync")
        let sendClient = CurlHTTPClient(name: "it-send")
        defer {
            humanClient.shutdown()
            syncClient.shutdown()
            sendClient.shutdown()
        }
        let anna = try await Person.register("anna", password: "anna-pw", client: humanClient, base: base)
        _ = try await Person.register("skav", password: "skav-pw", client: humanClient, base: base)
        _ = try await Person.register("bertil", password: "bertil-pw", client: humanClient, base: base)

        let logs = LogRecorder()
        let store = MemoryCredentialStore()
        let service = MatrixChatService(
            config: MatrixConfig(
                homeserver: base, userID: "@skav:localhost", password: "skav-pw", syncTimeout: .seconds(10)),
            syncClient: syncClient, sendClient: sendClient, credentials: store, logger: logs.logger)

        // Login persists token and device.
        #expect(try await service.connect() == "@skav:localhost")
        let firstCredentials = try #require(store.current)
        #expect(firstCredentials.deviceID == "SKAV")

        var cursor = try await service.poll(cursor: nil).cursor

        /// Polls until `done` holds for the collected events (bounded).
        func pollUntil(_ done: ([ChatEvent]) -> Bool) async throws -> [ChatEvent] {
            var events: [ChatEvent] = []
            for _ in 0..<10 {
                let batch = try await service.poll(cursor: cursor)
                cursor = batch.cursor
                events += batch.events
                if done(events) { break }
            }
            return events
        }

        // Anna opens a DM with the bot and writes before the bot has joined.
        let created = try await anna.call(
            "POST", "/createRoom",
            body: ["preset": "trusted_private_chat", "is_direct": true, "invite": ["@skav:localhost"]])
        let room = RoomID(try #require(created.json["room_id"]?.string))
        let early = try await anna.send(room, ["msgtype": "m.text", "body": "hej före join"])

        let invites = try await pollUntil { $0.contains { $0.room == room } }
        let invite = try #require(invites.first { $0.room == room })
        #expect(invite.kind == .invite(isDirect: true, encrypted: false))
        #expect(invite.sender == "@anna:localhost")

        try await service.join(room)
        let idea = try await anna.send(room, ["msgtype": "m.text", "body": "Kaffemaskinen läcker"])
        _ = try await anna.send(room, ["msgtype": "m.notice", "body": "en notis"])
        _ = try await anna.send(
            room,
            [
                "msgtype": "m.text", "body": " * Kaffemaskinen läcker igen",
                "m.new_content": ["msgtype": "m.text", "body": "Kaffemaskinen läcker igen"],
                "m.relates_to": ["rel_type": "m.replace", "event_id": .string(idea)],
            ])
        let last = try await anna.send(room, ["msgtype": "m.text", "body": "klar"])
        let events = try await pollUntil { $0.contains { $0.id == last } }
        // The bot's join reports the room's members: Anna and the bot.
        #expect(events.first?.kind == .membership(RoomMembership(joined: 2, invited: 0, others: ["@anna:localhost"])))
        let messages = events.filter { if case .membership = $0.kind { false } else { true } }
        #expect(messages.map(\.id) == [early, idea, last])
        #expect(messages.map(\.kind) == [.message(text: "hej före join"), .message(text: "Kaffemaskinen läcker"), .message(text: "klar")])
        #expect(messages.allSatisfy { $0.isDirectRoom == true && $0.sender == "@anna:localhost" })

        // A reply with HTML; the same transaction id again yields the same event, not a second message.
        let reply = OutgoingMessage(
            txnID: "\(idea).0", room: room, body: RichText([.text("Tack! Sparat som "), .strong("#1")]), inReplyTo: idea)
        let sent = try await service.send(reply)
        #expect(try await service.send(reply) == sent)
        let history = try await anna.call(
            "GET", "/rooms/\(MatrixPath.encode(room.rawValue))/messages", query: [("dir", "b"), ("limit", "20")])
        let botEvents = (history.json["chunk"]?.array ?? []).filter { $0["sender"]?.string == "@skav:localhost" && $0["type"]?.string == "m.room.message" }
        #expect(botEvents.count == 1)
        let content = try #require(botEvents.first?["content"])
        #expect(botEvents.first?["event_id"]?.string == sent.remoteID)
        #expect(content["formatted_body"] == "Tack! Sparat som <strong>#1</strong>")
        #expect(content["body"] == "Tack! Sparat som #1")
        #expect(content["m.relates_to"]?["m.in_reply_to"]?["event_id"]?.string == idea)

        // The bot's own message never comes back as an event.
        let after = try await anna.send(room, ["msgtype": "m.text", "body": "tack"])
        let echo = try await pollUntil { $0.contains { $0.id == after } }
        #expect(echo.map(\.id) == [after])

        // The token is logged out behind the bot's back: the next send logs in again with the same device.
        try await anna.call("POST", "/logout", token: firstCredentials.accessToken)
        _ = try await service.send(OutgoingMessage(txnID: "after-logout", room: room, body: "fortfarande här"))
        let renewed = try #require(store.current)
        #expect(renewed.accessToken != firstCredentials.accessToken)
        #expect(renewed.deviceID == "SKAV")

        // A DM the bot opens itself: the same creation asked again is the same room, without asking Synapse.
        let creation = RoomCreation(token: "synapse-dm-1", attemptedBefore: false)
        let dm = try await service.openDirectRoom(with: "@bertil:localhost", creation: creation)
        #expect(try await service.openDirectRoom(with: "@bertil:localhost", creation: creation) == dm)

        // Cancelling an idle long poll ends it at once. (A poll that returns by itself had news: poll again.)
        var cancelled = false
        for _ in 0..<5 where !cancelled {
            let from = cursor
            let finished = Mutex<ChatBatch?>(nil)
            let poll = Task {
                let batch = try await service.poll(cursor: from)
                finished.withLock { $0 = batch }
                return batch
            }
            try await Task.sleep(for: .milliseconds(500))
            if let batch = finished.withLock({ $0 }) {
                cursor = batch.cursor
                continue
            }
            let cancelledAt = ContinuousClock.now
            poll.cancel()
            let result = await poll.result
            #expect(ContinuousClock.now - cancelledAt < .milliseconds(500))
            #expect(throws: CancellationError.self) { try result.get() }
            cancelled = true
        }
        #expect(cancelled)

        // A burst larger than the timeline limit: the sync is `limited` and the gap is filled from the server,
        // so every message arrives once, in order. (A second service on the same account, limit 3.)
        let narrow = MatrixChatService(
            config: MatrixConfig(
                homeserver: base, userID: "@skav:localhost", password: "skav-pw", syncTimeout: .seconds(10),
                timelineLimit: 3),
            syncClient: syncClient, sendClient: sendClient, credentials: store, logger: logs.logger)
        var burst: [String] = []
        for index in 1...8 { burst.append(try await anna.send(room, ["msgtype": "m.text", "body": .string("idé \(index)")])) }
        let burstBatch = try await narrow.poll(cursor: cursor)
        cursor = burstBatch.cursor
        #expect(burstBatch.events.map(\.id) == burst)
        #expect(logs.all.contains { $0.contains("Filled a Matrix timeline gap") })

        // A process that did not see the creation (the answer lost, or a crash before the room was stored)
        // finds the room by its tag among the joined rooms instead of creating a second one.
        #expect(try await narrow.openDirectRoom(with: "@bertil:localhost", creation: RoomCreation(token: "synapse-dm-1", attemptedBefore: true)) == dm)

        try await service.leave(dm)
        for line in logs.all {
            #expect(!line.contains(firstCredentials.accessToken) && !line.contains(renewed.accessToken) && !line.contains("skav-pw"))
        }
    }
}
