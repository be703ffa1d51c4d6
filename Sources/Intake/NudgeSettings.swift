import Foundation

/// The `nudges.*` settings: spans of *working* time and the weekly slot (SkavBot.docc/Nudges.md).
public struct NudgeSettings: Sendable, Equatable {
    /// A span of working time: whole working days (`5d`) or working hours/minutes/seconds (`2h`, `90s`).
    public enum Span: Sendable, Equatable, CustomStringConvertible {
        case workingDays(Int)
        case working(Duration)

        public func duration(in calendar: WorkingCalendar) -> Duration {
            switch self {
            case .workingDays(let days): calendar.workingDays(days)
            case .working(let duration): duration
            }
        }

        public var description: String {
            switch self {
            case .workingDays(let days): "\(days)d"
            case .working(let duration):
                switch duration.components.seconds {
                case let s where s % 3600 == 0: "\(s / 3600)h"
                case let s where s % 60 == 0: "\(s / 60)m"
                case let s: "\(s)s"
                }
            }
        }
    }

    /// The weekly check-in moment, local time (`thu 14:30`).
    public struct WeeklySlot: Sendable, Equatable, CustomStringConvertible {
        public var day: Weekday
        public var time: WorkingCalendar.TimeOfDay
        public init(day: Weekday, time: WorkingCalendar.TimeOfDay) {
            self.day = day
            self.time = time
        }
        public var description: String { "\(day.rawValue) \(time)" }
    }

    public var draftReminderAfter: Span = .working(.seconds(2 * 3600))
    public var draftParkAfter: Span = .workingDays(5)
    public var guideFollowupAfter: Span = .workingDays(5)
    public var guideEscalateAfter: Span = .workingDays(10)
    public var staleStageAfter: Span = .workingDays(20)
    public var weeklyCheckin = WeeklySlot(day: .thu, time: WorkingCalendar.TimeOfDay(hour: 14, minute: 30)!)
    public var maxVoluntaryPerDay = 1

    public init() {}
}
