import Chat
import Foundation
import Yams

/// `matrix.*`: the homeserver, the bot's account, who may talk to it, and the two rooms.
extension SkavConfig.Matrix: ConfigSection {
    static let section = "matrix"
    static let keys: Set<String> = [
        "homeserver", "user_id", "device_id", "allowed_domains", "sync_timeout", "request_timeout", "password_file",
        "access_token_file", "coordinators_room", "shared_room", "sync_max_bytes",
    ]

    init(_ map: [String: Node], node: Node, reader: ConfigReader) throws(ConfigError) {
        let homeserverNode = try reader.required(map, "homeserver", at: "matrix", node)
        let homeserver = try reader.string(homeserverNode, key: "matrix.homeserver")
        guard let url = URL(string: homeserver), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", url.host != nil
        else {
            throw reader.error("matrix.homeserver", "must be an http(s) URL such as https://matrix.kommun.se", homeserverNode)
        }
        let userNode = try reader.required(map, "user_id", at: "matrix", node)
        let userID = try reader.string(userNode, key: "matrix.user_id")
        guard let domain = UserID(userID).domain, userID.count > 1, userID.first == "@" else {
            throw reader.error("matrix.user_id", "must be a full Matrix id such as @skav:kommun.se", userNode)
        }
        self.init(
            homeserver: homeserver.hasSuffix("/") ? String(homeserver.dropLast()) : homeserver, userID: userID,
            allowedDomains: [domain])
        if let value = map["device_id"] {
            deviceID = try reader.string(value, key: "matrix.device_id")
            if deviceID.isEmpty { throw reader.error("matrix.device_id", "must not be empty", value) }
        }
        if let value = map["allowed_domains"] {
            allowedDomains = try reader.sequence(value, key: "matrix.allowed_domains").enumerated().map {
                index, item throws(ConfigError) in
                try reader.string(item, key: "matrix.allowed_domains[\(index)]").lowercased()
            }
            if allowedDomains.isEmpty {
                throw reader.error("matrix.allowed_domains", "must list at least one server (e.g. [kommun.se])", value)
            }
        }
        if let value = map["sync_timeout"] { syncTimeout = try reader.duration(value, key: "matrix.sync_timeout") }
        if let value = map["request_timeout"] {
            requestTimeout = try reader.duration(value, key: "matrix.request_timeout")
            if requestTimeout < .seconds(1) { throw reader.error("matrix.request_timeout", "must be at least 1s", value) }
        }
        if let value = map["sync_max_bytes"] {
            syncMaxBytes = try reader.int(value, key: "matrix.sync_max_bytes", in: 65_536...(1 << 30))
        }
        if let value = map["password_file"] {
            passwordFile = reader.path(try reader.string(value, key: "matrix.password_file"))
        }
        if let value = map["access_token_file"] {
            accessTokenFile = reader.path(try reader.string(value, key: "matrix.access_token_file"))
        }
        if let value = map["coordinators_room"] { coordinatorsRoom = try Self.room(value, "coordinators_room", reader) }
        if let value = map["shared_room"] { sharedRoom = try Self.room(value, "shared_room", reader) }
        if let coordinators = coordinatorsRoom, coordinators == sharedRoom {
            throw reader.error(
                "matrix.shared_room", "must not be the coordinators' room: digests are not for everyone", node)
        }
    }

    /// A room id. Room ids start with '!'; from room version 12 on they have no server part.
    private static func room(_ node: Node, _ name: String, _ reader: ConfigReader) throws(ConfigError) -> String {
        let key = "matrix.\(name)"
        let room = try reader.string(node, key: key).trimmingCharacters(in: .whitespaces)
        guard room.hasPrefix("!"), room.count > 2, !room.contains(where: \.isWhitespace) else {
            throw reader.error(
                key, "must be a room id such as !AbCdEf:kommun.se (an alias like #rum:kommun.se will not do; the room id is under the room's settings, Advanced)",
                node)
        }
        return room
    }
}
