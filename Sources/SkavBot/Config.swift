import Chat
import Foundation
import Intake
import Yams

/// A problem in the configuration, naming the key.
public struct ConfigError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The dotted key (`matrix.homeserver`), or "" for the file as a whole.
    public var key: String
    public var problem: String
    /// Where in the file, when known ("line 4").
    public var location: String?

    public init(key: String, problem: String, location: String? = nil) {
        self.key = key
        self.problem = problem
        self.location = location
    }

    public var description: String {
        let place = location.map { " (\($0))" } ?? ""
        return key.isEmpty ? "config: \(problem)\(place)" : "config key '\(key)'\(place): \(problem)"
    }
}

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

    /// `mattermost:` (chat.kind mattermost). The token comes from `SKAV_MATTERMOST_TOKEN` or `token_file`.
    public struct Mattermost: Sendable, Equatable {
        /// The server's base URL (no `/api/v4`).
        public var url: String
        /// The team's name (as in its URL).
        public var team: String
        /// E-mail domains whose users (in the team) may talk to the bot.
        public var allowedDomains: [String]
        public var tokenFile: String?
        /// Channel ids (26 characters) of the coordinators' and the shared channel.
        public var coordinatorsChannel: String?
        public var sharedChannel: String?
        public var requestTimeout: Duration = .seconds(20)
        /// How often the channel list is read while nothing happens.
        public var pollInterval: Duration = .seconds(1)
    }

    public var chatKind: ChatKind = .terminal
    public var matrix: Matrix?
    public var mattermost: Mattermost?
    public var databasePath: String
    public var language: Language = .sv
    public var timezone: String = "Europe/Stockholm"
    public var units: [String] = []
    public var challenges: [Challenge] = []
    public var maxMessageLength: Int = 4000
    /// Sends in flight at once, each to a different room (`limits.parallel_sends`).
    public var parallelSends: Int = 4
    /// More messages than this from one person within `floodWindow` get one notice, then silence.
    public var floodMaxMessages: Int = 20
    public var floodWindow: Duration = .seconds(60)
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

    /// Parses a config document. Relative paths in it are taken relative to `base`.
    public static func parse(yaml text: String, relativeTo base: URL? = nil) throws(ConfigError) -> SkavConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigError(key: "", problem: "not valid YAML: \(error)")
        }
        var config = SkavConfig()
        guard let root else { return config }
        let reader = ConfigReader(base: base)
        let top = try reader.mapping(root, key: "")
        try reader.onlyKeys(
            top, at: "",
            allowed: ["chat", "matrix", "mattermost", "database", "language", "timezone", "units", "challenges", "limits",
                "prompts", "log", "calendar", "roles", "privacy", "nudges", "digest"])

        if let chat = top["chat"] {
            let chatMap = try reader.mapping(chat, key: "chat")
            try reader.onlyKeys(chatMap, at: "chat", allowed: ["kind"])
            if let kind = chatMap["kind"] {
                let value = try reader.string(kind, key: "chat.kind")
                guard let parsed = ChatKind(rawValue: value.lowercased()) else {
                    throw reader.error("chat.kind", "must be matrix, mattermost or terminal, not '\(value)'", kind)
                }
                config.chatKind = parsed
            }
        }

        if let database = top["database"] {
            let map = try reader.mapping(database, key: "database")
            try reader.onlyKeys(map, at: "database", allowed: ["path"])
            if let path = map["path"] { config.databasePath = reader.path(try reader.string(path, key: "database.path")) }
        }

        if let language = top["language"] {
            let value = try reader.string(language, key: "language")
            guard let parsed = Language(rawValue: value.lowercased()) else {
                throw reader.error("language", "must be sv or en, not '\(value)'", language)
            }
            config.language = parsed
        }

        if let timezone = top["timezone"] {
            let value = try reader.string(timezone, key: "timezone")
            guard TimeZone(identifier: value) != nil else {
                throw reader.error("timezone", "'\(value)' is not a time zone (try Europe/Stockholm)", timezone)
            }
            config.timezone = value
        }

        if let units = top["units"] {
            config.units = try reader.sequence(units, key: "units").enumerated().map { index, node throws(ConfigError) in
                let name = try reader.string(node, key: "units[\(index)]").trimmingCharacters(in: .whitespaces)
                if name.isEmpty { throw reader.error("units[\(index)]", "a unit needs a name", node) }
                return name
            }
            if Set(config.units.map { $0.lowercased() }).count != config.units.count {
                throw reader.error("units", "a unit is listed twice", units)
            }
        }

        if let challenges = top["challenges"] {
            config.challenges = try reader.sequence(challenges, key: "challenges").enumerated().map {
                index, node throws(ConfigError) in
                let key = "challenges[\(index)]"
                let map = try reader.mapping(node, key: key)
                try reader.onlyKeys(map, at: key, allowed: ["key", "title"])
                guard let keyNode = map["key"] else { throw reader.error("\(key).key", "is missing", node) }
                guard let titleNode = map["title"] else { throw reader.error("\(key).title", "is missing", node) }
                let id = try reader.string(keyNode, key: "\(key).key")
                guard !id.isEmpty, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
                else {
                    throw reader.error("\(key).key", "use letters a–z, digits, - and _ only, not '\(id)'", keyNode)
                }
                return Challenge(key: id, title: try reader.string(titleNode, key: "\(key).title"))
            }
            if Set(config.challenges.map(\.key)).count != config.challenges.count {
                throw reader.error("challenges", "two challenges have the same key", challenges)
            }
        }

        if let limits = top["limits"] {
            let map = try reader.mapping(limits, key: "limits")
            try reader.onlyKeys(
                map, at: "limits", allowed: ["max_message_length", "flood_max_messages", "flood_window", "parallel_sends"])
            if let node = map["parallel_sends"] {
                let value = try reader.int(node, key: "limits.parallel_sends")
                guard (1...32).contains(value) else {
                    throw reader.error("limits.parallel_sends", "must be between 1 and 32", node)
                }
                config.parallelSends = value
            }
            if let node = map["flood_max_messages"] {
                let value = try reader.int(node, key: "limits.flood_max_messages")
                guard (2...10_000).contains(value) else {
                    throw reader.error("limits.flood_max_messages", "must be between 2 and 10000", node)
                }
                config.floodMaxMessages = value
            }
            if let node = map["flood_window"] {
                config.floodWindow = try reader.duration(node, key: "limits.flood_window")
                if config.floodWindow < .seconds(1) {
                    throw reader.error("limits.flood_window", "must be at least 1s", node)
                }
            }
            if let node = map["max_message_length"] {
                let value = try reader.int(node, key: "limits.max_message_length")
                guard (1...100_000).contains(value) else {
                    throw reader.error("limits.max_message_length", "must be between 1 and 100000", node)
                }
                config.maxMessageLength = value
            }
        }

        if let prompts = top["prompts"] {
            let map = try reader.mapping(prompts, key: "prompts")
            try reader.onlyKeys(map, at: "prompts", allowed: ["directory"])
            if let node = map["directory"] {
                config.promptsDirectory = reader.path(try reader.string(node, key: "prompts.directory"))
            }
        }

        if let log = top["log"] {
            let map = try reader.mapping(log, key: "log")
            try reader.onlyKeys(map, at: "log", allowed: ["level"])
            if let node = map["level"] {
                let value = try reader.string(node, key: "log.level").lowercased()
                guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(value) else {
                    throw reader.error("log.level", "must be one of trace, debug, info, notice, warning, error, critical", node)
                }
                config.logLevel = value
            }
        }

        if let privacy = top["privacy"] {
            let map = try reader.mapping(privacy, key: "privacy")
            try reader.onlyKeys(map, at: "privacy", allowed: ["draft_retention"])
            if let node = map["draft_retention"] {
                let value = try reader.duration(node, key: "privacy.draft_retention")
                guard value >= .seconds(86_400) else {
                    throw reader.error("privacy.draft_retention", "must be at least 1d", node)
                }
                config.draftRetention = value
            }
        }

        if let calendar = top["calendar"] {
            config.calendar = try CalendarSettings.parse(calendar, reader: reader)
        }
        if let digest = top["digest"] {
            config.digest = try DigestConfig.parse(digest, reader: reader)
        }
        if let nudges = top["nudges"] {
            config.nudges = try NudgeConfig.parse(nudges, reader: reader)
        }

        if let matrix = top["matrix"] {
            let map = try reader.mapping(matrix, key: "matrix")
            try reader.onlyKeys(
                map, at: "matrix",
                allowed: ["homeserver", "user_id", "device_id", "allowed_domains", "sync_timeout", "request_timeout", "password_file",
                    "access_token_file", "coordinators_room", "shared_room", "sync_max_bytes"])
            guard let homeserverNode = map["homeserver"] else { throw reader.error("matrix.homeserver", "is missing", matrix) }
            let homeserver = try reader.string(homeserverNode, key: "matrix.homeserver")
            guard let url = URL(string: homeserver), let scheme = url.scheme?.lowercased(),
                scheme == "http" || scheme == "https", url.host != nil
            else {
                throw reader.error("matrix.homeserver", "must be an http(s) URL such as https://matrix.kommun.se", homeserverNode)
            }
            guard let userNode = map["user_id"] else { throw reader.error("matrix.user_id", "is missing", matrix) }
            let userID = try reader.string(userNode, key: "matrix.user_id")
            guard let domain = UserID(userID).domain, userID.count > 1, userID.first == "@" else {
                throw reader.error("matrix.user_id", "must be a full Matrix id such as @skav:kommun.se", userNode)
            }
            var settings = Matrix(
                homeserver: homeserver.hasSuffix("/") ? String(homeserver.dropLast()) : homeserver, userID: userID,
                allowedDomains: [domain])
            if let node = map["device_id"] {
                settings.deviceID = try reader.string(node, key: "matrix.device_id")
                if settings.deviceID.isEmpty { throw reader.error("matrix.device_id", "must not be empty", node) }
            }
            if let node = map["allowed_domains"] {
                settings.allowedDomains = try reader.sequence(node, key: "matrix.allowed_domains").enumerated().map {
                    index, item throws(ConfigError) in
                    try reader.string(item, key: "matrix.allowed_domains[\(index)]").lowercased()
                }
                if settings.allowedDomains.isEmpty {
                    throw reader.error("matrix.allowed_domains", "must list at least one server (e.g. [kommun.se])", node)
                }
            }
            if let node = map["sync_timeout"] {
                settings.syncTimeout = try reader.duration(node, key: "matrix.sync_timeout")
            }
            if let node = map["request_timeout"] {
                settings.requestTimeout = try reader.duration(node, key: "matrix.request_timeout")
                if settings.requestTimeout < .seconds(1) {
                    throw reader.error("matrix.request_timeout", "must be at least 1s", node)
                }
            }
            if let node = map["sync_max_bytes"] {
                settings.syncMaxBytes = try reader.int(node, key: "matrix.sync_max_bytes")
                guard (65_536...(1 << 30)).contains(settings.syncMaxBytes) else {
                    throw reader.error("matrix.sync_max_bytes", "must be between 65536 and 1073741824", node)
                }
            }
            if let node = map["password_file"] {
                settings.passwordFile = reader.path(try reader.string(node, key: "matrix.password_file"))
            }
            if let node = map["access_token_file"] {
                settings.accessTokenFile = reader.path(try reader.string(node, key: "matrix.access_token_file"))
            }
            for name in ["coordinators_room", "shared_room"] {
                guard let node = map[name] else { continue }
                let key = "matrix.\(name)"
                let room = try reader.string(node, key: key).trimmingCharacters(in: .whitespaces)
                // Room ids start with '!'; from room version 12 on they have no server part.
                guard room.hasPrefix("!"), room.count > 2, !room.contains(where: \.isWhitespace) else {
                    throw reader.error(
                        key, "must be a room id such as !AbCdEf:kommun.se (an alias like #rum:kommun.se will not do; the room id is under the room's settings, Advanced)",
                        node)
                }
                if name == "coordinators_room" { settings.coordinatorsRoom = room } else { settings.sharedRoom = room }
            }
            if let coordinators = settings.coordinatorsRoom, coordinators == settings.sharedRoom {
                throw reader.error(
                    "matrix.shared_room", "must not be the coordinators' room: digests are not for everyone", matrix)
            }
            config.matrix = settings
        }

        if let roles = top["roles"] {
            config.roles = try parseRoles(roles, units: config.units, mattermost: config.chatKind == .mattermost, reader: reader)
        }

        if let mattermost = top["mattermost"] {
            config.mattermost = try parseMattermost(mattermost, reader: reader)
        }

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

/// A Mattermost id (user, channel): 26 lower-case letters and digits.
func isMattermostID(_ value: String) -> Bool {
    value.utf8.count == 26 && value.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) }
}

/// The `mattermost:` section.
private func parseMattermost(_ node: Node, reader: ConfigReader) throws(ConfigError) -> SkavConfig.Mattermost {
    let map = try reader.mapping(node, key: "mattermost")
    try reader.onlyKeys(
        map, at: "mattermost",
        allowed: ["url", "team", "allowed_domains", "token_file", "coordinators_channel", "shared_channel", "request_timeout",
            "poll_interval"])
    guard let urlNode = map["url"] else { throw reader.error("mattermost.url", "is missing", node) }
    var url = try reader.string(urlNode, key: "mattermost.url")
    guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
        parsed.host != nil
    else {
        throw reader.error("mattermost.url", "must be an http(s) URL such as https://mattermost.kommun.se", urlNode)
    }
    while url.hasSuffix("/") { url.removeLast() }
    guard let teamNode = map["team"] else { throw reader.error("mattermost.team", "is missing", node) }
    let team = try reader.string(teamNode, key: "mattermost.team").trimmingCharacters(in: .whitespaces)
    if team.isEmpty { throw reader.error("mattermost.team", "must name the team (as in its URL)", teamNode) }
    guard let domainsNode = map["allowed_domains"] else {
        throw reader.error("mattermost.allowed_domains", "is missing: list the e-mail domains whose users may talk to Skav", node)
    }
    let domains = try reader.sequence(domainsNode, key: "mattermost.allowed_domains").enumerated().map {
        index, item throws(ConfigError) in
        try reader.string(item, key: "mattermost.allowed_domains[\(index)]").trimmingCharacters(in: .whitespaces).lowercased()
    }
    if domains.isEmpty || domains.contains(where: \.isEmpty) {
        throw reader.error("mattermost.allowed_domains", "must list at least one e-mail domain (e.g. [kommun.se])", domainsNode)
    }
    var settings = SkavConfig.Mattermost(url: url, team: team, allowedDomains: domains)
    if let node = map["token_file"] {
        settings.tokenFile = reader.path(try reader.string(node, key: "mattermost.token_file"))
    }
    if let node = map["request_timeout"] {
        settings.requestTimeout = try reader.duration(node, key: "mattermost.request_timeout")
        if settings.requestTimeout < .seconds(1) { throw reader.error("mattermost.request_timeout", "must be at least 1s", node) }
    }
    if let node = map["poll_interval"] {
        settings.pollInterval = try reader.duration(node, key: "mattermost.poll_interval")
        if settings.pollInterval < .milliseconds(200) || settings.pollInterval > .seconds(60) {
            throw reader.error("mattermost.poll_interval", "must be between 200ms and 60s", node)
        }
    }
    for name in ["coordinators_channel", "shared_channel"] {
        guard let channelNode = map[name] else { continue }
        let key = "mattermost.\(name)"
        let channel = try reader.string(channelNode, key: key).trimmingCharacters(in: .whitespaces)
        guard isMattermostID(channel) else {
            throw reader.error(
                key, "must be a channel id (26 letters and digits: the channel's menu, View Info), not a name", channelNode)
        }
        if name == "coordinators_channel" { settings.coordinatorsChannel = channel } else { settings.sharedChannel = channel }
    }
    if let coordinators = settings.coordinatorsChannel, coordinators == settings.sharedChannel {
        throw reader.error(
            "mattermost.shared_channel", "must not be the coordinators' channel: digests are not for everyone", node)
    }
    return settings
}

/// `roles.coordinators` (Matrix ids, or Mattermost user ids with chat.kind mattermost) and `roles.guides`
/// (`{user, units}`, units from `units`).
private func parseRoles(_ node: Node, units: [String], mattermost: Bool, reader: ConfigReader) throws(ConfigError) -> Roles {
    let map = try reader.mapping(node, key: "roles")
    try reader.onlyKeys(map, at: "roles", allowed: ["coordinators", "guides"])
    func user(_ node: Node, key: String) throws(ConfigError) -> UserID {
        let value = try reader.string(node, key: key).trimmingCharacters(in: .whitespaces)
        if mattermost {
            guard isMattermostID(value) else {
                throw reader.error(
                    key, "must be a Mattermost user id (26 letters and digits: System Console, Users), not '\(value)'", node)
            }
            return UserID(value)
        }
        guard value.first == "@", UserID(value).domain != nil, value.count > 3 else {
            throw reader.error(key, "must be a full Matrix id such as @anna:kommun.se, not '\(value)'", node)
        }
        return UserID(value)
    }
    var roles = Roles()
    if let node = map["coordinators"] {
        roles.coordinators = try reader.sequence(node, key: "roles.coordinators").enumerated().map {
            index, item throws(ConfigError) in try user(item, key: "roles.coordinators[\(index)]")
        }
    }
    if let node = map["guides"] {
        roles.guides = try reader.sequence(node, key: "roles.guides").enumerated().map {
            index, item throws(ConfigError) in
            let key = "roles.guides[\(index)]"
            let entry = try reader.mapping(item, key: key)
            try reader.onlyKeys(entry, at: key, allowed: ["user", "units"])
            guard let userNode = entry["user"] else { throw reader.error("\(key).user", "is missing", item) }
            guard let unitsNode = entry["units"] else { throw reader.error("\(key).units", "is missing", item) }
            let guide = try user(userNode, key: "\(key).user")
            let names = try reader.sequence(unitsNode, key: "\(key).units").enumerated().map {
                position, unitNode throws(ConfigError) in
                let name = try reader.string(unitNode, key: "\(key).units[\(position)]").trimmingCharacters(in: .whitespaces)
                // Matched like the unit answer: case-insensitive; stored with the spelling of `units`.
                guard let known = units.first(where: { $0.lowercased() == name.lowercased() }) else {
                    let listed = units.isEmpty ? "no units are configured" : "known units: \(units.joined(separator: ", "))"
                    throw reader.error("\(key).units[\(position)]", "'\(name)' is not one of the configured units (\(listed))", unitNode)
                }
                return known
            }
            if names.isEmpty { throw reader.error("\(key).units", "a guide needs at least one unit", unitsNode) }
            return Roles.Guide(user: guide, units: names)
        }
    }
    return roles
}

/// Walks Yams nodes with errors that name the key and the line.
struct ConfigReader {
    var base: URL?

    func error(_ key: String, _ problem: String, _ node: Node?) -> ConfigError {
        ConfigError(key: key, problem: problem, location: node?.mark.map { "line \($0.line)" })
    }

    func mapping(_ node: Node, key: String) throws(ConfigError) -> [String: Node] {
        // A section whose keys are all commented out is empty, not an error.
        if case .scalar(let scalar) = node, !key.isEmpty, scalar.string.isEmpty || scalar.string == "~" || scalar.string == "null" {
            return [:]
        }
        guard case .mapping(let mapping) = node else {
            throw error(key, key.isEmpty ? "the file must be a mapping of keys" : "must be a mapping of keys", node)
        }
        var result: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard let name = keyNode.string else { throw error(key, "has a key that is not text", keyNode) }
            let full = key.isEmpty ? name : "\(key).\(name)"
            if result[name] != nil { throw error(full, "appears twice", keyNode) }
            result[name] = value
        }
        return result
    }

    func onlyKeys(_ map: [String: Node], at key: String, allowed: Set<String>) throws(ConfigError) {
        for name in map.keys.sorted() where !allowed.contains(name) {
            let full = key.isEmpty ? name : "\(key).\(name)"
            throw error(full, "is not a known setting (known here: \(allowed.sorted().joined(separator: ", ")))", map[name])
        }
    }

    func sequence(_ node: Node, key: String) throws(ConfigError) -> [Node] {
        if case .scalar(let scalar) = node, scalar.string.isEmpty || scalar.string == "~" || scalar.string == "null" {
            return []
        }
        guard case .sequence(let sequence) = node else { throw error(key, "must be a list", node) }
        return Array(sequence)
    }

    func string(_ node: Node, key: String) throws(ConfigError) -> String {
        guard case .scalar(let scalar) = node else { throw error(key, "must be a single value", node) }
        return scalar.string
    }

    func bool(_ node: Node, key: String) throws(ConfigError) -> Bool {
        guard case .scalar = node, let value = node.bool else { throw error(key, "must be true or false", node) }
        return value
    }

    /// A plain decimal number. Not Yams' `node.int`: it also reads YAML 1.1's sexagesimal `1:30` (90) and
    /// overflows on `9223372036854775807:0`, a trap from the config file.
    func int(_ node: Node, key: String) throws(ConfigError) -> Int {
        guard case .scalar(let scalar) = node, let value = Int(scalar.string.trimmingCharacters(in: .whitespaces)) else {
            throw error(key, "must be a whole number", node)
        }
        return value
    }

    /// `90s`, `2m`, `1h`, or a plain number of seconds.
    func duration(_ node: Node, key: String) throws(ConfigError) -> Duration {
        let text = try string(node, key: key).trimmingCharacters(in: .whitespaces).lowercased()
        if let value = parseDuration(text) { return value }
        throw error(key, "must be a duration such as 30s, 5m or 2h (at most 36500d), not '\(text)'", node)
    }

    func path(_ value: String) -> String {
        let expanded = (value as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return expanded }
        guard let base else { return expanded }
        return base.appendingPathComponent(expanded).standardizedFileURL.path
    }
}

/// The longest duration a config key may give: 100 years. Anything longer is no setting but a typo, and
/// a bound here keeps every later conversion (milliseconds for curl and `/sync`, dates) far from overflow.
let maxConfigDuration: Duration = .seconds(36_500 * 86_400)

/// Parses `90s`, `2m`, `1h`, `5d` or plain seconds; nil for anything else, and for more than
/// `maxConfigDuration` (`9223372036854775807d` once trapped here).
func parseDuration(_ text: String) -> Duration? {
    let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
    for (suffix, milliseconds) in units where text.hasSuffix(suffix) {
        let number = text.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)
        if let value = Int64(number), value >= 0 {
            let (total, overflow) = value.multipliedReportingOverflow(by: milliseconds)
            guard !overflow, Duration.milliseconds(total) <= maxConfigDuration else { return nil }
            return .milliseconds(total)
        }
        if suffix == "ms" { continue }
        return nil
    }
    if let seconds = Int64(text), seconds >= 0, seconds <= maxConfigDuration.components.seconds { return .seconds(seconds) }
    return nil
}
