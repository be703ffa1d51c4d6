import Foundation
import Yams

extension SkavConfig {
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

        public init(
            url: String, team: String, allowedDomains: [String], tokenFile: String? = nil,
            coordinatorsChannel: String? = nil, sharedChannel: String? = nil
        ) {
            self.url = url
            self.team = team
            self.allowedDomains = allowedDomains
            self.tokenFile = tokenFile
            self.coordinatorsChannel = coordinatorsChannel
            self.sharedChannel = sharedChannel
        }
    }
}

/// A Mattermost id (user, channel): 26 lower-case letters and digits.
func isMattermostID(_ value: String) -> Bool {
    value.utf8.count == 26 && value.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) }
}

/// `mattermost.*`: the server, the team, who may talk to the bot, and the two channels.
extension SkavConfig.Mattermost: ConfigSection {
    static let section = "mattermost"
    static let keys: Set<String> = [
        "url", "team", "allowed_domains", "token_file", "coordinators_channel", "shared_channel", "request_timeout",
        "poll_interval",
    ]

    init(_ map: [String: Node], node: Node, reader: ConfigReader) throws(ConfigError) {
        let urlNode = try reader.required(map, "url", at: "mattermost", node)
        var url = try reader.string(urlNode, key: "mattermost.url")
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(),
            scheme == "http" || scheme == "https", parsed.host != nil
        else {
            throw reader.error("mattermost.url", "must be an http(s) URL such as https://mattermost.kommun.se", urlNode)
        }
        while url.hasSuffix("/") { url.removeLast() }
        let teamNode = try reader.required(map, "team", at: "mattermost", node)
        let team = try reader.string(teamNode, key: "mattermost.team").trimmingCharacters(in: .whitespaces)
        if team.isEmpty { throw reader.error("mattermost.team", "must name the team (as in its URL)", teamNode) }
        guard let domainsNode = map["allowed_domains"] else {
            throw reader.error(
                "mattermost.allowed_domains", "is missing: list the e-mail domains whose users may talk to Skav", node)
        }
        let domains = try reader.sequence(domainsNode, key: "mattermost.allowed_domains").enumerated().map {
            index, item throws(ConfigError) in
            try reader.string(item, key: "mattermost.allowed_domains[\(index)]").trimmingCharacters(in: .whitespaces)
                .lowercased()
        }
        if domains.isEmpty || domains.contains(where: \.isEmpty) {
            throw reader.error(
                "mattermost.allowed_domains", "must list at least one e-mail domain (e.g. [kommun.se])", domainsNode)
        }
        self.init(url: url, team: team, allowedDomains: domains)
        if let value = map["token_file"] {
            tokenFile = reader.path(try reader.string(value, key: "mattermost.token_file"))
        }
        if let value = map["request_timeout"] {
            requestTimeout = try reader.duration(value, key: "mattermost.request_timeout")
            if requestTimeout < .seconds(1) {
                throw reader.error("mattermost.request_timeout", "must be at least 1s", value)
            }
        }
        if let value = map["poll_interval"] {
            pollInterval = try reader.duration(value, key: "mattermost.poll_interval")
            if pollInterval < .milliseconds(200) || pollInterval > .seconds(60) {
                throw reader.error("mattermost.poll_interval", "must be between 200ms and 60s", value)
            }
        }
        if let value = map["coordinators_channel"] {
            coordinatorsChannel = try Self.channel(value, "coordinators_channel", reader)
        }
        if let value = map["shared_channel"] { sharedChannel = try Self.channel(value, "shared_channel", reader) }
        if let coordinators = coordinatorsChannel, coordinators == sharedChannel {
            throw reader.error(
                "mattermost.shared_channel", "must not be the coordinators' channel: digests are not for everyone", node)
        }
    }

    private static func channel(_ node: Node, _ name: String, _ reader: ConfigReader) throws(ConfigError) -> String {
        let key = "mattermost.\(name)"
        let channel = try reader.string(node, key: key).trimmingCharacters(in: .whitespaces)
        guard isMattermostID(channel) else {
            throw reader.error(
                key, "must be a channel id (26 letters and digits: the channel's menu, View Info), not a name", node)
        }
        return channel
    }
}
