public import Intake
import Yams

/// The `digest` section of the config (<doc:Digests>).
public struct DigestSettings: Sendable, Equatable {
    /// When the coordinators' digest goes out; `off` sends none (on demand only).
    public var schedule: DigestSchedule = .default
    /// Whether guides get a personal weekly digest of their inbox.
    public var guides = false

    public init() {}
}

extension DigestSettings: ConfigSection {
    static let section = "digest"
    static let keys: Set<String> = ["schedule", "guides"]

    init(_ map: [String: Node], node: Node, reader: ConfigReader) throws(ConfigError) {
        self.init()
        if let value = map["schedule"] {
            let key = "digest.schedule"
            let text = try reader.string(value, key: key).trimmingCharacters(in: .whitespaces).lowercased()
            guard let schedule = Self.parseSchedule(text) else {
                throw reader.error(
                    key, "must be a weekday and a time ('mon 09:00'), 'daily 08:30', 'every 2h' or 'off', not '\(text)'",
                    value)
            }
            self.schedule = schedule
        }
        if let value = map["guides"] {
            self.guides = try reader.bool(value, key: "digest.guides")
        }
    }

    /// `mon 09:00`, `daily 08:30`, `every 90s` (at least 10 s), `off`.
    static func parseSchedule(_ text: String) -> DigestSchedule? {
        if text == "off" || text == "none" { return .off }
        let parts = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard parts.count == 2 else { return nil }
        switch parts[0] {
        case "daily":
            guard let time = WorkingCalendar.TimeOfDay(parts[1]), time.minutes < 24 * 60 else { return nil }
            return .daily(time)
        case "every":
            guard parts[1].hasSuffix("s") || parts[1].hasSuffix("m") || parts[1].hasSuffix("h"),
                !parts[1].hasSuffix("ms"), let duration = parseDuration(parts[1]), duration >= .seconds(10),
                duration <= .seconds(366 * 86_400)
            else { return nil }
            return .every(duration)
        default:
            return NudgeSettings.parseSlot(text).map(DigestSchedule.weekly)
        }
    }
}
