import Intake
import Yams

/// The `nudges` section of the config (<doc:Nudges>). Spans are of working time: `d` is working days,
/// `h`/`m`/`s` working hours, minutes and seconds.
extension NudgeSettings: ConfigSection {
    static let section = "nudges"
    static let keys = Set(spanKeys + ["weekly_checkin", "max_voluntary_per_day"])
    static let spanKeys = [
        "draft_reminder_after", "draft_park_after", "guide_followup_after", "guide_escalate_after", "stale_stage_after",
    ]

    init(_ map: [String: Node], node: Node, reader: ConfigReader) throws(ConfigError) {
        self.init()
        for name in Self.spanKeys {
            guard let value = map[name] else { continue }
            let key = "nudges.\(name)"
            let text = try reader.string(value, key: key).trimmingCharacters(in: .whitespaces).lowercased()
            guard let span = Self.parseSpan(text) else {
                throw reader.error(
                    key, "must be a span of working time such as 90s, 30m, 2h or 5d (working days), not '\(text)'", value)
            }
            switch name {
            case "draft_reminder_after": self.draftReminderAfter = span
            case "draft_park_after": self.draftParkAfter = span
            case "guide_followup_after": self.guideFollowupAfter = span
            case "guide_escalate_after": self.guideEscalateAfter = span
            default: self.staleStageAfter = span
            }
        }
        if let value = map["weekly_checkin"] {
            let key = "nudges.weekly_checkin"
            let text = try reader.string(value, key: key).trimmingCharacters(in: .whitespaces).lowercased()
            guard let slot = Self.parseSlot(text) else {
                throw reader.error(key, "must be a day and a time such as 'thu 14:30', not '\(text)'", value)
            }
            self.weeklyCheckin = slot
        }
        if let value = map["max_voluntary_per_day"] {
            let key = "nudges.max_voluntary_per_day"
            let count = try reader.int(value, key: key)
            guard (1...10).contains(count) else { throw reader.error(key, "must be between 1 and 10", value) }
            self.maxVoluntaryPerDay = count
        }
    }

    /// `5d` → 5 working days; `2h`, `30m`, `90s` → working time. Zero is refused.
    static func parseSpan(_ text: String) -> NudgeSettings.Span? {
        if text.hasSuffix("d") {
            guard let days = Int(text.dropLast().trimmingCharacters(in: .whitespaces)), days > 0, days <= 1000 else {
                return nil
            }
            return .workingDays(days)
        }
        guard text.hasSuffix("s") || text.hasSuffix("m") || text.hasSuffix("h"), !text.hasSuffix("ms"),
            let duration = parseDuration(text), duration > .zero, duration <= .seconds(1000 * 86_400)
        else { return nil }
        return .working(duration)
    }

    /// `thu 14:30` (English three-letter day, 24-hour time).
    static func parseSlot(_ text: String) -> NudgeSettings.WeeklySlot? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, let day = Weekday(rawValue: String(parts[0])),
            let time = WorkingCalendar.TimeOfDay(String(parts[1])), time.minutes < 24 * 60
        else { return nil }
        return NudgeSettings.WeeklySlot(day: day, time: time)
    }
}
