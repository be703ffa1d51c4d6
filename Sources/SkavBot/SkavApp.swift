import Chat
import TerminalChat
import Conversation
import Foundation
import Intake
import Logging
import Prompts
import Store
import Configuration

/// Builds the parts from a config and runs them: the terminal conversation, the bot, the checks.
public enum SkavApp {
    public static func openStore(_ config: SkavConfig) throws -> IntakeStore {
        try IntakeStore(path: config.databasePath)
    }

    public static func prompts(_ config: SkavConfig) throws -> PromptCatalog {
        try PromptCatalog.locate(explicit: config.promptsDirectory)
    }

    public static func conversationConfig(_ config: SkavConfig, filesSupported: Bool = false) -> ConversationConfig {
        ConversationConfig(
            units: config.units, themes: config.themes, defaultLanguage: config.language,
            maxMessageLength: config.maxMessageLength, roles: config.roles, filesSupported: filesSupported,
            sharedRoom: config.sharedRoom != nil,
            coordinatorsRoom: config.coordinatorsRoom != nil,
            timeZone: config.workingCalendar.timeZone)
    }

    /// The person at the terminal.
    public static var terminalUser: UserID {
        let name = ProcessInfo.processInfo.environment["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? "du"
        let safe = name.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || $0 == "." || $0 == "_" || $0 == "-" }
        return UserID("@\(String(String.UnicodeScalarView(safe)).lowercased()):terminal")
    }

    /// The conversation in the terminal: the same engine, store and outbox as the bot, with lines from
    /// `readLine` as messages. Ends at end of input.
    public static func runTerminal(
        config: SkavConfig, logger: Logger,
        readLine: @escaping () -> String? = { Swift.readLine(strippingNewline: true) },
        write: @escaping @Sendable (String) -> Void
    ) async throws {
        let store = try openStore(config)
        let prompts = try prompts(config)
        let user = terminalUser
        let botUser = UserID("@skav:terminal")
        let language = try await store.read { try $0.person(user)?.language } ?? config.language
        let chat = TerminalChat(
            botUser: botUser, person: user,
            forOther: { prompts.text(.terminalToOther, language, [.user: $0]).plainText }
        ) { text in write("\n" + text + "\n\n") }
        // The terminal's room is the person's, whatever an earlier session stored.
        let claimedAt = Date()
        try await store.write { try $0.setDirectRoom(TerminalChat.room, for: user, at: claimedAt) }
        let settings = BotSettings(
            botUser: botUser, allowedDomains: [], conversation: conversationConfig(config, filesSupported: chat.capabilities.supportsFiles),
            cursorKey: StoredKey.terminalCursor,
            flood: floodLimit(config))
        let engine = BotEngine(store: store, prompts: prompts, settings: settings, logger: logger)
        let sender = OutboxSender(store: store, chat: chat, wake: WakeSignal(), logger: logger)
        let digests = DigestRequestService(
            store: store, build: onDemandDigest(config: config, prompts: prompts, capabilities: chat.capabilities),
            wake: WakeSignal(), sent: nil, logger: logger)
        write(prompts.text(.terminalIntro, language, [.database: config.databasePath]).plainText + "\n")
        // Replies a previous session committed but did not get to print.
        try await sender.drain()
        while true {
            write("> ")
            guard let line = readLine() else { break }
            let event = ChatEvent(
                id: "terminal.\(UUID().uuidString)", room: TerminalChat.room, sender: user, kind: .message(text: line),
                timestamp: Date(), isDirectRoom: true)
            let outcome = try engine.process(ChatBatch(events: [event], cursor: "terminal"), now: Date())
            try engine.checkpointAfterForget()
            if outcome.digestRequests > 0 { try digests.serve(now: Date()) }
            try await sender.drain()
        }
        write("\n")
    }
}
