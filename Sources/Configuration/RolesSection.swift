import Chat
import Intake
import Yams

/// `roles.coordinators` (Matrix ids, or Mattermost user ids with chat.kind mattermost) and `roles.guides` (`{user, units}`, units from `units`). Roles come from
/// the config file only, never from chat.
extension Roles: ConfigSection {
    static let section = "roles"
    static let keys: Set<String> = ["coordinators", "guides"]

    init(_ map: [String: Node], node: Node, reader: ConfigReader) throws(ConfigError) {
        self.init()
        if let list = map["coordinators"] {
            coordinators = try reader.sequence(list, key: "roles.coordinators").enumerated().map {
                index, item throws(ConfigError) in try reader.user(item, key: "roles.coordinators[\(index)]")
            }
        }
        if let list = map["guides"] {
            guides = try reader.sequence(list, key: "roles.guides").enumerated().map { index, item throws(ConfigError) in
                try Self.guide(item, key: "roles.guides[\(index)]", reader: reader)
            }
        }
    }

    private static func guide(_ item: Node, key: String, reader: ConfigReader) throws(ConfigError) -> Roles.Guide {
        let entry = try reader.mapping(item, key: key)
        try reader.onlyKeys(entry, at: key, allowed: ["user", "units"])
        let guide = try reader.user(try reader.required(entry, "user", at: key, item), key: "\(key).user")
        let unitsNode = try reader.required(entry, "units", at: key, item)
        let units = reader.units
        let names = try reader.sequence(unitsNode, key: "\(key).units").enumerated().map {
            position, unitNode throws(ConfigError) in
            let name = try reader.string(unitNode, key: "\(key).units[\(position)]").trimmingCharacters(in: .whitespaces)
            // Matched like the unit answer: case-insensitive; stored with the spelling of `units`.
            guard let known = units.first(where: { $0.lowercased() == name.lowercased() }) else {
                let listed = units.isEmpty ? "no units are configured" : "known units: \(units.joined(separator: ", "))"
                throw reader.error(
                    "\(key).units[\(position)]", "'\(name)' is not one of the configured units (\(listed))", unitNode)
            }
            return known
        }
        if names.isEmpty { throw reader.error("\(key).units", "a guide needs at least one unit", unitsNode) }
        return Roles.Guide(user: guide, units: names)
    }
}
