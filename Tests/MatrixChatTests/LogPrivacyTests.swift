import Chat
import Foundation
import SkavTesting
import Testing

@testable import MatrixChat

/// Logs outlive `glöm mig`: the adapter never writes a person's user id in a log line (issue 11.5).
@Suite("Matrix logs name rooms, not people")
struct LogPrivacyTests {
    @Test("opening a direct room logs the room, not the user id")
    func directRoomLogNamesNoUser() async throws {
        let h = Harness(send: [.json(200, "whoami"), .json(200, "create_room")])
        _ = try await h.service.connect()
        let room = try await h.service.openDirectRoom(with: "@anna:example.org")
        let lines = h.logs.all
        #expect(lines.contains { $0.contains("Opened a direct Matrix room") && $0.contains(room.rawValue) })
        #expect(!lines.joined(separator: "\n").contains("anna"), "\(lines)")
    }
}
