import Chat
import Foundation
import Intake
import Prompts
import Yams

/// One section of the config file (`matrix:`, `limits:`, `calendar:` …), read by the `init` of its type: the
/// reader has checked that it is a mapping and that it holds only `keys`; the `init` reads and checks each value
/// and names the key and line of anything wrong. Every section is read this way.
protocol ConfigSection {
    /// The section's key at the top of the file.
    static var section: String { get }
    /// The keys the section takes; any other is an error naming the known ones.
    static var keys: Set<String> { get }
    /// Reads the section. `node` is the section itself, for errors about it as a whole.
    init(_ map: [String: Node], node: Node, reader: ConfigReader) throws(ConfigError)
}

extension ConfigReader {
    /// The section `S` of the file, or nil when the file has none.
    func section<S: ConfigSection>(_ type: S.Type, in top: [String: Node]) throws(ConfigError) -> S? {
        guard let node = top[S.section] else { return nil }
        let map = try mapping(node, key: S.section)
        try onlyKeys(map, at: S.section, allowed: S.keys)
        return try S(map, node: node, reader: self)
    }
}

/// `chat.kind`: which server Skav talks to.
struct ChatSection: ConfigSection {
    static let section = "chat"
    static let keys: Set<String> = ["kind"]
    var kind: ChatKind = .terminal

    init(_ map: [String: Node], node: Node, reader: ConfigReader) throws(ConfigError) {
        if let value = map["kind"] {
            let text = try reader.string(value, key: "chat.kind")
            guard let parsed = ChatKind(rawValue: text.lowercased()) else {
                throw reader.error("chat.kind", "must be matrix, mattermost or terminal, not '\(text)'", value)
            }
            kind = parsed
        }
    }
}

/// `database.path`.
struct DatabaseSection: ConfigSection {
    static let section = "database"
    static let keys: Set<String> = ["path"]
    var path: String?

    init(_ map: [String: Node], node: Node, reader: ConfigReader) throws(ConfigError) {
        if let value = map["path"] { path = reader.path(try reader.string(value, key: "database.path")) }
    }
}

/// `prompts.directory`.
struct PromptsSection: ConfigSection {
    static let section = "prompts"
    static let keys: Set<String> = ["directory"]
    var directory: String?

    init(_ map: [String: Node], node: Node, reader: ConfigReader) throws(ConfigError) {
        if let value = map["directory"] { directory = reader.path(try reader.string(value, key: "prompts.directory")) }
    }
}

/// `log.level`.
struct LogSection: ConfigSection {
    static let section = "log"
    static let keys: Set<String> = ["level"]
    static let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
    var level: String?

    init(_ map: [String: Node], node: Node, reader: ConfigReader) throws(ConfigError) {
        if let value = map["level"] {
            let text = try reader.string(value, key: "log.level").lowercased()
            guard Self.levels.contains(text) else {
                throw reader.error("log.level", "must be one of \(Self.levels.joined(separator: ", "))", value)
            }
            level = text
        }
    }
}

/// `privacy.draft_retention`.
struct PrivacySection: ConfigSection {
    static let section = "privacy"
    static let keys: Set<String> = ["draft_retention"]
    var draftRetention: Duration?

    init(_ map: [String: Node], node: Node, reader: ConfigReader) throws(ConfigError) {
        if let value = map["draft_retention"] {
            let retention = try reader.duration(value, key: "privacy.draft_retention")
            guard retention >= .seconds(86_400) else {
                throw reader.error("privacy.draft_retention", "must be at least 1d", value)
            }
            draftRetention = retention
        }
    }
}

extension SkavConfig {
    /// `limits.*`: how long a message may be, flood protection, and sends in parallel.
    public struct Limits: Sendable, Equatable, ConfigSection {
        static let section = "limits"
        static let keys: Set<String> = ["max_message_length", "flood_max_messages", "flood_window", "parallel_sends"]

        public var maxMessageLength: Int = 4000
        /// Sends in flight at once, each to a different room.
        public var parallelSends: Int = 32
        /// More messages than this from one person within `floodWindow` get one notice, then silence.
        public var floodMaxMessages: Int = 20
        public var floodWindow: Duration = .seconds(60)

        public init() {}

        init(_ map: [String: Node], node: Node, reader: ConfigReader) throws(ConfigError) {
            if let value = map["parallel_sends"] {
                parallelSends = try reader.int(value, key: "limits.parallel_sends", in: 1...64)
            }
            if let value = map["flood_max_messages"] {
                floodMaxMessages = try reader.int(value, key: "limits.flood_max_messages", in: 2...10_000)
            }
            if let value = map["flood_window"] {
                floodWindow = try reader.duration(value, key: "limits.flood_window")
                if floodWindow < .seconds(1) { throw reader.error("limits.flood_window", "must be at least 1s", value) }
            }
            if let value = map["max_message_length"] {
                maxMessageLength = try reader.int(value, key: "limits.max_message_length", in: 1...100_000)
            }
        }
    }

    public var maxMessageLength: Int {
        get { limits.maxMessageLength }
        set { limits.maxMessageLength = newValue }
    }
    public var parallelSends: Int {
        get { limits.parallelSends }
        set { limits.parallelSends = newValue }
    }
    public var floodMaxMessages: Int {
        get { limits.floodMaxMessages }
        set { limits.floodMaxMessages = newValue }
    }
    public var floodWindow: Duration {
        get { limits.floodWindow }
        set { limits.floodWindow = newValue }
    }
}

// The values at the top of the file that are not sections.
extension ConfigReader {
    /// `language`: sv or en.
    func language(_ node: Node) throws(ConfigError) -> Language {
        let value = try string(node, key: "language")
        guard let parsed = Language(rawValue: value.lowercased()) else {
            throw error("language", "must be sv or en, not '\(value)'", node)
        }
        return parsed
    }

    /// `timezone`: an IANA time zone.
    func timeZone(_ node: Node) throws(ConfigError) -> String {
        let value = try string(node, key: "timezone")
        guard TimeZone(identifier: value) != nil else {
            throw error("timezone", "'\(value)' is not a time zone (try Europe/Stockholm)", node)
        }
        return value
    }

    /// `units`: the names of the organisation's units, each once.
    func units(_ node: Node) throws(ConfigError) -> [String] {
        let names = try sequence(node, key: "units").enumerated().map { index, item throws(ConfigError) in
            let name = try string(item, key: "units[\(index)]").trimmingCharacters(in: .whitespaces)
            if name.isEmpty { throw error("units[\(index)]", "a unit needs a name", item) }
            return name
        }
        if Set(names.map { $0.lowercased() }).count != names.count {
            throw error("units", "a unit is listed twice", node)
        }
        return names
    }

    /// `challenges`: the configured themes, `{key, title}`, keys unique.
    func themes(_ node: Node) throws(ConfigError) -> [Theme] {
        let list = try sequence(node, key: "challenges").enumerated().map { index, item throws(ConfigError) in
            let key = "challenges[\(index)]"
            let map = try mapping(item, key: key)
            try onlyKeys(map, at: key, allowed: ["key", "title"])
            let keyNode = try required(map, "key", at: key, item)
            let titleNode = try required(map, "title", at: key, item)
            let id = try string(keyNode, key: "\(key).key")
            guard !id.isEmpty, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
            else {
                throw error("\(key).key", "use letters a–z, digits, - and _ only, not '\(id)'", keyNode)
            }
            return Theme(key: id, title: try string(titleNode, key: "\(key).title"))
        }
        if Set(list.map(\.key)).count != list.count {
            throw error("challenges", "two challenges have the same key", node)
        }
        return list
    }
}
