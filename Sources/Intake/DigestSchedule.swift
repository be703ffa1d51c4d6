import Foundation

/// When the coordinators' digest goes out (`digest.schedule`, SkavBot.docc/Digests.md): weekly (`mon 09:00`), on every
/// working day (`daily 08:30`), at a fixed interval (`every 90s`, for tests and trials), or never (`off`).
/// A slot that falls outside working time is sent at the next working moment; each slot's digest is sent once.
public enum DigestSchedule: Sendable, Equatable, CustomStringConvertible {
    case weekly(NudgeSettings.WeeklySlot)
    case daily(WorkingCalendar.TimeOfDay)
    case every(Duration)
    case off

    public static let `default` = DigestSchedule.weekly(
        NudgeSettings.WeeklySlot(day: .mon, time: WorkingCalendar.TimeOfDay(hour: 9, minute: 0)!))

    public var description: String {
        switch self {
        case .weekly(let slot): "\(slot)"
        case .daily(let time): "daily \(time)"
        case .every(let duration): "every \(duration.components.seconds)s"
        case .off: "off"
        }
    }

    /// One digest period's slot: its stable key, the nominal moment and when it is due (a working moment).
    public struct Slot: Sendable, Equatable {
        public var key: String
        public var nominal: Date
        public var due: Date
        /// The nominal length of a period, for the first digest (when none was sent before).
        public var length: TimeInterval
    }

    /// The latest slot whose nominal moment is at or before `now`, or nil (`off`, or none in the last weeks).
    public func latestSlot(atOrBefore now: Date, calendar: WorkingCalendar) -> Slot? {
        switch self {
        case .off:
            return nil
        case .every(let duration):
            let seconds = max(1, Double(duration.components.seconds))
            let index = floor(now.timeIntervalSince1970 / seconds)
            let nominal = Date(timeIntervalSince1970: index * seconds)
            return Slot(
                key: "every\(Int(seconds))s-\(Int(index))", nominal: nominal,
                due: calendar.nextWorkingMoment(atOrAfter: nominal), length: seconds)
        case .weekly(let slot):
            return latest(now: now, calendar: calendar, time: slot.time, length: 7 * 86_400) { $0.weekday == slot.day }
        case .daily(let time):
            // Only working days have a daily digest: Monday's covers the weekend.
            return latest(now: now, calendar: calendar, time: time, length: 86_400) { calendar.isWorkingDay($0) }
        }
    }

    /// The guides' weekly slot: the weekly schedule itself, else Mondays at the daily time (every interval: the
    /// same); with the coordinators' digest off, the default Monday 09:00.
    public var guidesSchedule: DigestSchedule {
        switch self {
        case .daily(let time): .weekly(NudgeSettings.WeeklySlot(day: .mon, time: time))
        case .off: .default
        default: self
        }
    }

    private func latest(
        now: Date, calendar: WorkingCalendar, time: WorkingCalendar.TimeOfDay, length: TimeInterval,
        matches: (CivilDate) -> Bool
    ) -> Slot? {
        var day = calendar.day(of: now)
        for _ in 0..<40 {
            if matches(day) {
                let nominal = calendar.instant(localSeconds: day.daysSince1970 * 86_400 + time.minutes * 60)
                if nominal <= now {
                    return Slot(
                        key: day.description, nominal: nominal, due: calendar.nextWorkingMoment(atOrAfter: nominal),
                        length: length)
                }
            }
            day = day.adding(days: -1)
        }
        return nil
    }
}
