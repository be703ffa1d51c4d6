import Foundation
public import Intake
import Yams

/// The `calendar` section of the config: when nudges may be sent (<doc:Nudges>).
public struct CalendarSettings: Sendable, Equatable {
    public var workingHours: WorkingCalendar.WorkingHours = .office
    public var workingDays: Set<Weekday> = [.mon, .tue, .wed, .thu, .fri]
    public var publicHolidays: WorkingCalendar.PublicHolidays = .sweden
    public var extraDaysOff: Set<CivilDate> = []

    public init() {}

}

extension CalendarSettings: ConfigSection {
    static let section = "calendar"
    static let keys: Set<String> = ["working_hours", "working_days", "public_holidays", "extra_days_off"]

    init(_ map: [String: Node], node: Node, reader: ConfigReader) throws(ConfigError) {
        self.init()

        if let node = map["working_hours"] {
            let key = "calendar.working_hours"
            let text = try reader.string(node, key: key).trimmingCharacters(in: .whitespaces)
            let parts = text.split(whereSeparator: { $0 == "-" || $0 == "–" })
            guard parts.count == 2 else {
                throw reader.error(key, "must be a start and an end such as 08:00-17:00, not '\(text)'", node)
            }
            let times = parts.map { $0.trimmingCharacters(in: .whitespaces) }
            for time in times where WorkingCalendar.TimeOfDay(time) == nil {
                throw reader.error(key, "'\(time)' is not a time of day (HH:MM, 00:00 to 24:00)", node)
            }
            guard let hours = WorkingCalendar.WorkingHours(text) else {
                throw reader.error(key, "the end must be after the start, not '\(text)'", node)
            }
            workingHours = hours
        }

        if let node = map["working_days"] {
            let key = "calendar.working_days"
            let names = try reader.sequence(node, key: key).enumerated().map { index, item throws(ConfigError) in
                let name = try reader.string(item, key: "\(key)[\(index)]")
                guard let day = Weekday(rawValue: name.lowercased()) else {
                    throw reader.error(
                        "\(key)[\(index)]", "'\(name)' is not a day (mon, tue, wed, thu, fri, sat, sun)", item)
                }
                return day
            }
            if names.isEmpty { throw reader.error(key, "must list at least one day, e.g. [mon, tue, wed, thu, fri]", node) }
            if Set(names).count != names.count { throw reader.error(key, "a day is listed twice", node) }
            workingDays = Set(names)
        }

        if let node = map["public_holidays"] {
            let key = "calendar.public_holidays"
            let value = try reader.string(node, key: key)
            guard let parsed = WorkingCalendar.PublicHolidays(rawValue: value.lowercased()) else {
                throw reader.error(key, "must be sweden or none, not '\(value)'", node)
            }
            publicHolidays = parsed
        }

        if let node = map["extra_days_off"] {
            let key = "calendar.extra_days_off"
            let days = try reader.sequence(node, key: key).enumerated().map { index, item throws(ConfigError) in
                let text = try reader.string(item, key: "\(key)[\(index)]").trimmingCharacters(in: .whitespaces)
                guard let day = CivilDate(iso: text) else {
                    throw reader.error("\(key)[\(index)]", "'\(text)' is not a date (YYYY-MM-DD, e.g. 2026-12-28)", item)
                }
                return day
            }
            if Set(days).count != days.count { throw reader.error(key, "a date is listed twice", node) }
            extraDaysOff = Set(days)
        }
    }
}

extension SkavConfig {
    /// The working calendar of `timezone` and the `calendar` section.
    public var workingCalendar: WorkingCalendar {
        WorkingCalendar(
            timeZone: TimeZone(identifier: timezone) ?? WorkingCalendar.stockholm,
            workingHours: calendar.workingHours, workingDays: calendar.workingDays,
            publicHolidays: calendar.publicHolidays, extraDaysOff: calendar.extraDaysOff)
    }
}
