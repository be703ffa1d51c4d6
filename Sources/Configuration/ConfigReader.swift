import Chat
import Foundation
import Yams

/// Walks Yams nodes with errors that name the key and the line.
struct ConfigReader {
    /// Relative paths are taken relative to this folder (the config file's).
    var base: URL?
    /// The units read so far (`units`), which `roles.guides` must name.
    var units: [String] = []
    /// The server kind read so far (`chat.kind`): user ids in `roles` are of its form.
    var chatKind: ChatKind = .terminal

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

    /// `map[name]`, or an error naming `section.name` as missing.
    func required(_ map: [String: Node], _ name: String, at section: String, _ node: Node) throws(ConfigError) -> Node {
        guard let value = map[name] else { throw error("\(section).\(name)", "is missing", node) }
        return value
    }

    /// A whole number within `range`.
    func int(_ node: Node, key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        let value = try int(node, key: key)
        guard range.contains(value) else {
            throw error(key, "must be between \(range.lowerBound) and \(range.upperBound)", node)
        }
        return value
    }

    /// A user id, checked: `@name:server` on Matrix, a Mattermost user id with chat.kind mattermost.
    func user(_ node: Node, key: String) throws(ConfigError) -> UserID {
        let value = try string(node, key: key).trimmingCharacters(in: .whitespaces)
        if chatKind == .mattermost {
            guard isMattermostID(value) else {
                throw error(
                    key, "must be a Mattermost user id (26 letters and digits: System Console, Users), not '\(value)'", node)
            }
            return UserID(value)
        }
        guard value.first == "@", UserID(value).domain != nil, value.count > 3 else {
            throw error(key, "must be a full Matrix id such as @anna:kommun.se, not '\(value)'", node)
        }
        return UserID(value)
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
