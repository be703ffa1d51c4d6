import Chat
import Conversation
import CrashGuard
import Foundation
import Intake
import Logging
import Masking
import Synchronization
import Prompts
import Store

/// What the engine needs to know about its deployment.
public struct BotSettings: Sendable {
    /// The bot's own user id; its own events are never answered.
    public var botUser: UserID
    /// Servers whose users may talk to the bot; empty means everyone (the terminal).
    public var allowedDomains: [String]
    public var conversation: ConversationConfig
    /// Where the sync cursor is kept (`matrix.cursor`).
    public var cursorKey: String
    /// The per-person flood limit.
    public var flood: FloodGate.Limit
    /// `matrix.shared_room`: challenge announcements and good examples; replies to an announcement there are ideas.
    public var sharedRoom: RoomID?
    /// `matrix.coordinators_room`: digests and challenge summaries.
    public var coordinatorsRoom: RoomID?

    public init(
        botUser: UserID, allowedDomains: [String], conversation: ConversationConfig, cursorKey: String,
        flood: FloodGate.Limit = FloodGate.Limit(), sharedRoom: RoomID? = nil, coordinatorsRoom: RoomID? = nil
    ) {
        self.sharedRoom = sharedRoom
        self.coordinatorsRoom = coordinatorsRoom
        self.flood = flood
        self.botUser = botUser
        self.allowedDomains = allowedDomains.map { $0.lowercased() }
        self.conversation = conversation
        self.cursorKey = cursorKey
    }

    func isAllowed(_ user: UserID) -> Bool {
        if allowedDomains.isEmpty { return true }
        guard let domain = user.domain?.lowercased() else { return false }
        return allowedDomains.contains(domain)
    }
}
