public import Chat
public import Foundation
public import Intake
import Yams
public import Prompts

/// Every setting of Skav. `config/skav.example.yaml` documents each key; the defaults here are the
/// embedded default used when `skav` runs without a config file.
public struct SkavConfig: Sendable, Equatable {
    public struct Matrix: Sendable, Equatable {
        public var homeserver: String
        public var userID: String
        public var deviceID: String = "SKAV"
        /// Servers whose users may talk to the bot; defaults to the bot's own server.
        public var allowedDomains: [String]
        public var syncTimeout: Duration = .seconds(30)
        /// The deadline of every request other than the long poll.
        public var requestTimeout: Duration = .seconds(20)
        /// Optional files holding the secrets (the environment variables win).
        public var passwordFile: String?
        public var accessTokenFile: String?
        /// Where digests and challenge summaries go (a room id); coordinators get DMs when unset.
        public var coordinatorsRoom: String?
        /// Where challenges are announced and good examples shown (a room id).
        public var sharedRoom: String?
        /// The largest `/sync` answer taken; a larger one is asked for again with fewer events per room.
        public var syncMaxBytes: Int = 8 << 20
    }

    public var chatKind: ChatKind = .terminal
    public var matrix: Matrix?
    public var mattermost: Mattermost?
    public var databasePath: String
    public var language: Language = .sv
    public var timezone: String = "Europe/Stockholm"
    public var units: [String] = []
    /// `challenges`: the configured themes (the key keeps its first name).
    public var themes: [Theme] = []
    /// `limits.*`: message size, flood protection and parallel sends.
    public var limits = Limits()
    public var promptsDirectory: String?
    public var logLevel: String = "info"
    /// Guides and coordinators (never from chat).
    public var roles: Roles = .none
    /// `calendar.*`: working hours, days, holidays and days off (see `workingCalendar`).
    public var calendar = CalendarSettings()
    /// `privacy.draft_retention`: drafts and conversation states not touched for this long are deleted.
    public var draftRetention: Duration = SkavConfig.defaultDraftRetention

    public static let defaultDraftRetention: Duration = .seconds(90 * 86_400)

    /// `nudges.*`: when reminders are due, in working time (<doc:Nudges>).
    public var nudges = NudgeSettings()
    /// `digest.*` (<doc:Digests>).
    public var digest = DigestSettings()

    public init(databasePath: String = SkavConfig.defaultDatabasePath) {
        self.databasePath = databasePath
    }

    /// `$XDG_DATA_HOME/skav/skav.sqlite`, else `~/.local/share/skav/skav.sqlite`.
    public static var defaultDatabasePath: String {
        let environment = ProcessInfo.processInfo.environment
        let base: String
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty {
            base = xdg
        } else {
            base = (environment["HOME"] ?? FileManager.default.currentDirectoryPath) + "/.local/share"
        }
        return base + "/skav/skav.sqlite"
    }

    public static func load(file path: String) throws(ConfigError) -> SkavConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(key: "", problem: "cannot read \(path): \(error.localizedDescription)")
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        return try parse(yaml: text, relativeTo: base)
    }

    /// Parses a config document. Relative paths in it are taken relative to `base`. Every section is read by
    /// the `init` of its type (`ConfigSection`), in one style; the few top-level values are read here.
    public static func parse(yaml text: String, relativeTo base: URL? = nil) throws(ConfigError) -> SkavConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigError(key: "", problem: "not valid YAML: \(error)")
        }
        var config = SkavConfig()
        guard let root else { return config }
        var reader = ConfigReader(base: base)
        let top = try reader.mapping(root, key: "")
        try reader.onlyKeys(
            top, at: "",
            allowed: ["chat", "matrix", "mattermost", "database", "language", "timezone", "units", "challenges", "limits",
                "prompts", "log", "calendar", "roles", "privacy", "nudges", "digest"])

        if let chat = try reader.section(ChatSection.self, in: top) { config.chatKind = chat.kind }
        reader.chatKind = config.chatKind
        if let database = try reader.section(DatabaseSection.self, in: top), let path = database.path {
            config.databasePath = path
        }
        if let node = top["language"] { config.language = try reader.language(node) }
        if let node = top["timezone"] { config.timezone = try reader.timeZone(node) }
        if let node = top["units"] { config.units = try reader.units(node) }
        reader.units = config.units
        if let node = top["challenges"] { config.themes = try reader.themes(node) }
        if let limits = try reader.section(Limits.self, in: top) { config.limits = limits }
        if let prompts = try reader.section(PromptsSection.self, in: top) { config.promptsDirectory = prompts.directory }
        if let log = try reader.section(LogSection.self, in: top), let level = log.level { config.logLevel = level }
        if let privacy = try reader.section(PrivacySection.self, in: top), let retention = privacy.draftRetention {
            config.draftRetention = retention
        }
        if let calendar = try reader.section(CalendarSettings.self, in: top) { config.calendar = calendar }
        if let digest = try reader.section(DigestSettings.self, in: top) { config.digest = digest }
        if let nudges = try reader.section(NudgeSettings.self, in: top) { config.nudges = nudges }
        if let matrix = try reader.section(Matrix.self, in: top) { config.matrix = matrix }
        if let roles = try reader.section(Roles.self, in: top) { config.roles = roles }
        if let mattermost = try reader.section(Mattermost.self, in: top) { config.mattermost = mattermost }

        switch config.chatKind {
        case .matrix where config.matrix == nil:
            throw ConfigError(key: "matrix", problem: "chat.kind is matrix, so the matrix section is required")
        case .mattermost where config.mattermost == nil:
            throw ConfigError(key: "mattermost", problem: "chat.kind is mattermost, so the mattermost section is required")
        default:
            break
        }
        return config
    }
}

extension SkavConfig {
    /// The shared room (Matrix) or channel (Mattermost) of the chat server in use.
    public var sharedRoom: RoomID? {
        switch chatKind {
        case .matrix: matrix?.sharedRoom.map(RoomID.init(rawValue:))
        case .mattermost: mattermost?.sharedChannel.map(RoomID.init(rawValue:))
        case .terminal: nil
        }
    }

    /// The coordinators' room (Matrix) or channel (Mattermost) of the chat server in use.
    public var coordinatorsRoom: RoomID? {
        switch chatKind {
        case .matrix: matrix?.coordinatorsRoom.map(RoomID.init(rawValue:))
        case .mattermost: mattermost?.coordinatorsChannel.map(RoomID.init(rawValue:))
        case .terminal: nil
        }
    }
}
