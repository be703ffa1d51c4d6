import Chat
import Foundation
import Intake
import Prompts
import Store

/// Keeps an adapter's credentials (access token, device id) in the intake database, so a restart
/// neither logs in again nor gets a new device (which would lose the server's transaction-id memory).
public struct StoreCredentials: CredentialStore {
    let store: IntakeStore
    let key: String

    public init(store: IntakeStore, key: String) {
        self.store = store
        self.key = key
    }

    public func loadCredentials() async throws -> StoredCredentials? {
        let key = self.key
        guard let text = try await store.read({ try $0.value(key) }) else { return nil }
        return try JSONDecoder().decode(StoredCredentials.self, from: Data(text.utf8))
    }

    public func saveCredentials(_ credentials: StoredCredentials?) async throws {
        let key = self.key
        let text = try credentials.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        try await store.write { try $0.setValue(text, for: key) }
    }
}
