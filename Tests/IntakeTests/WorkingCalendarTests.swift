import Foundation
import Testing

@testable import Intake
@testable import Store
import Prompts
import GRDB

/// An instant written with its offset: `at("2026-03-30T09:00:00+02:00")`. Independent of the code under test.
private func at(_ text: String) -> Date {
    guard let date = ISO8601DateFormatter().date(from: text) else { fatalError("bad test date \(text)") }
    return date
}

private func day(_ text: String) -> CivilDate { CivilDate(iso: text)! }

private let stockholm = TimeZone(identifier: "Europe/Stockholm")!

/// The wall clock of an instant in Stockholm, read with Foundation's calendar (not the code under test).
private func wallClock(_ date: Date) -> (day: Int, hour: Int, minute: Int) {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = stockholm
    let parts = calendar.dateComponents([.day, .hour, .minute], from: date)
    return (parts.day!, parts.hour!, parts.minute!)
}

private let allWeek = Set(Weekday.allCases)

@Suite struct WorkingCalendarTests {
    let office = WorkingCalendar()
    let alwaysOpen = WorkingCalendar(workingHours: .allDay, workingDays: allWeek, publicHolidays: .none)

    @Test func theDefaultIsStockholmOfficeHoursOnWeekdays() {
        #expect(office.timeZone.identifier == "Europe/Stockholm")
        #expect(office.workingHours.description == "08:00-17:00")
        #expect(office.workingDays == [.mon, .tue, .wed, .thu, .fri])
        #expect(office.publicHolidays == .sweden && office.extraDaysOff.isEmpty)
        #expect(office.workingDayLength == .seconds(9 * 3600))
        #expect(office.workingDays(5) == .seconds(45 * 3600))
    }

    @Test func workingMomentsAreHalfOpen() {
        #expect(!office.isWorkingMoment(at("2026-04-08T07:59:59+02:00")))
        #expect(office.isWorkingMoment(at("2026-04-08T08:00:00+02:00")))
        #expect(office.isWorkingMoment(at("2026-04-08T16:59:59+02:00")))
        #expect(!office.isWorkingMoment(at("2026-04-08T17:00:00+02:00")))
        #expect(!office.isWorkingMoment(at("2026-04-11T12:00:00+02:00")), "a Saturday")
        #expect(!office.isWorkingMoment(at("2026-04-03T12:00:00+02:00")), "Långfredagen")
        #expect(office.isWorkingMoment(at("2026-01-15T10:00:00+01:00")), "winter time")
    }

    @Test func fridayEveningMovesToMondayMorning() {
        #expect(office.nextWorkingMoment(atOrAfter: at("2026-03-06T17:30:00+01:00")) == at("2026-03-09T08:00:00+01:00"))
        // The weekend of the March change: Monday 08:00 is summer time.
        #expect(office.nextWorkingMoment(atOrAfter: at("2026-03-27T17:30:00+01:00")) == at("2026-03-30T08:00:00+02:00"))
        #expect(office.nextWorkingMoment(atOrAfter: at("2026-10-23T17:30:00+02:00")) == at("2026-10-26T08:00:00+01:00"))
        let working = at("2026-03-06T11:15:00+01:00")
        #expect(office.nextWorkingMoment(atOrAfter: working) == working, "working time stays as it is")
        #expect(office.nextWorkingMoment(atOrAfter: at("2026-03-09T06:00:00+01:00")) == at("2026-03-09T08:00:00+01:00"))
    }

    @Test func maundyThursdayEveningMovesPastEaster() {
        // Skärtorsdag 2026-04-02; Långfredag, Easter weekend and Annandag påsk are off.
        #expect(office.nextWorkingMoment(atOrAfter: at("2026-04-02T18:00:00+02:00")) == at("2026-04-07T08:00:00+02:00"))
        for off in ["2026-04-03", "2026-04-04", "2026-04-05", "2026-04-06"] { #expect(!office.isWorkingDay(day(off))) }
        #expect(office.isWorkingDay(day("2026-04-02")) && office.isWorkingDay(day("2026-04-07")))
    }

    @Test func christmasToNewYearAndEpiphany() {
        // 2024/25: julafton Tue, juldagen Wed, annandag Thu, nyårsafton Tue, nyårsdagen Wed, trettondagen Mon.
        for off in ["2024-12-24", "2024-12-25", "2024-12-26", "2024-12-31", "2025-01-01", "2025-01-06"] {
            #expect(!office.isWorkingDay(day(off)), "\(off)")
        }
        for open in ["2024-12-23", "2024-12-27", "2024-12-30", "2025-01-02", "2025-01-03", "2025-01-07"] {
            #expect(office.isWorkingDay(day(open)), "\(open)")
        }
        #expect(office.nextWorkingMoment(atOrAfter: at("2024-12-23T17:00:00+01:00")) == at("2024-12-27T08:00:00+01:00"))
        #expect(office.nextWorkingMoment(atOrAfter: at("2024-12-30T17:00:00+01:00")) == at("2025-01-02T08:00:00+01:00"))
        #expect(office.nextWorkingMoment(atOrAfter: at("2025-01-03T17:00:00+01:00")) == at("2025-01-07T08:00:00+01:00"))
        // With the two working days in between taken off, the whole stretch is one break.
        var holidayWeek = office
        holidayWeek.extraDaysOff = [day("2024-12-27"), day("2024-12-30")]
        #expect(holidayWeek.nextWorkingMoment(atOrAfter: at("2024-12-23T17:00:00+01:00")) == at("2025-01-02T08:00:00+01:00"))
    }

    @Test func midsummerEve() {
        #expect(office.nextWorkingMoment(atOrAfter: at("2026-06-18T17:00:00+02:00")) == at("2026-06-22T08:00:00+02:00"))
        #expect(!office.isWorkingMoment(at("2027-06-25T10:00:00+02:00")), "midsommarafton on its latest date")
        #expect(office.isWorkingMoment(at("2027-06-24T10:00:00+02:00")))
    }

    @Test func addingWorkingTimeAcrossWeekendsAndHolidays() {
        let twoHours = Duration.seconds(2 * 3600)
        #expect(office.addingWorkingTime(twoHours, to: at("2026-03-06T16:00:00+01:00")) == at("2026-03-09T09:00:00+01:00"))
        #expect(office.addingWorkingTime(twoHours, to: at("2026-03-27T16:00:00+01:00")) == at("2026-03-30T09:00:00+02:00"))
        #expect(office.addingWorkingTime(twoHours, to: at("2026-03-07T12:00:00+01:00")) == at("2026-03-09T10:00:00+01:00"))
        #expect(office.addingWorkingTime(twoHours, to: at("2026-03-09T09:30:00+01:00")) == at("2026-03-09T11:30:00+01:00"))
        // Ending exactly at 17:00 gives the next working moment.
        #expect(office.addingWorkingTime(twoHours, to: at("2026-03-06T15:00:00+01:00")) == at("2026-03-09T08:00:00+01:00"))
        #expect(office.addingWorkingTime(.zero, to: at("2026-03-07T12:00:00+01:00")) == at("2026-03-09T08:00:00+01:00"))
        // Skärtorsdag 15:00 + 4 h: 2 h that day, 2 h on the Tuesday after Easter.
        let easter = office.addingWorkingTime(.seconds(4 * 3600), to: at("2026-04-02T15:00:00+02:00"))
        #expect(easter == at("2026-04-07T10:00:00+02:00"))
        // 5 working days from Thursday 30 April (1 May is a Friday off): Friday 8 May, same time.
        #expect(office.addingWorkingTime(office.workingDays(5), to: at("2026-04-30T10:00:00+02:00")) == at("2026-05-08T10:00:00+02:00"))
        #expect(office.workingTime(from: at("2026-04-02T15:00:00+02:00"), to: easter) == .seconds(4 * 3600))
        #expect(office.workingTime(from: easter, to: at("2026-04-02T15:00:00+02:00")) == .zero)
        #expect(office.workingTime(from: at("2026-03-06T00:00:00+01:00"), to: at("2026-03-13T00:00:00+01:00")) == .seconds(45 * 3600))
    }

    @Test func extraDaysOff() {
        var calendar = office
        calendar.extraDaysOff = [day("2026-05-15"), day("2026-06-19")]
        // The klämdag after Kristi himmelsfärd.
        #expect(calendar.nextWorkingMoment(atOrAfter: at("2026-05-13T17:00:00+02:00")) == at("2026-05-18T08:00:00+02:00"))
        #expect(calendar.addingWorkingTime(.seconds(3600), to: at("2026-05-13T16:30:00+02:00")) == at("2026-05-18T08:30:00+02:00"))
        let off = calendar.nonWorkingWeekdays(year: 2026).filter { $0.date.month == 5 || $0.date.month == 6 }
        #expect(off.map { "\($0.date) \($0.swedishName)" } == [
            "2026-05-01 Första maj", "2026-05-14 Kristi himmelsfärdsdag", "2026-05-15 Extra ledig dag",
            "2026-06-19 Midsommarafton",
        ])
    }

    @Test func theNonWorkingWeekdaysOf2026() {
        let expected = [
            "2026-01-01 thu Nyårsdagen", "2026-01-06 tue Trettondedag jul", "2026-04-03 fri Långfredagen",
            "2026-04-06 mon Annandag påsk", "2026-05-01 fri Första maj", "2026-05-14 thu Kristi himmelsfärdsdag",
            "2026-06-19 fri Midsommarafton", "2026-12-24 thu Julafton", "2026-12-25 fri Juldagen",
            "2026-12-31 thu Nyårsafton",
        ]
        #expect(office.nonWorkingWeekdays(year: 2026).map { "\($0.date) \($0.date.weekday.rawValue) \($0.swedishName)" } == expected)
        var noHolidays = office
        noHolidays.publicHolidays = .none
        #expect(noHolidays.nonWorkingWeekdays(year: 2026).isEmpty)
        #expect(noHolidays.isWorkingDay(day("2026-12-24")))
        // Working Saturdays: national day and Alla helgons dag (both Saturdays in 2026) appear.
        var sixDays = office
        sixDays.workingDays.insert(.sat)
        let saturdays = sixDays.nonWorkingWeekdays(year: 2026).filter { $0.date.weekday == .sat }.map(\.holiday)
        #expect(saturdays == [.nationaldagen, .midsommardagen, .allaHelgonsDag, .annandagJul])
    }

    @Test func anAlwaysOpenCalendarIsPlainAddition() {
        let starts = [
            at("2026-03-28T20:00:00+01:00"), at("2026-10-24T21:37:00+02:00"), at("2026-12-24T12:00:00+01:00"),
            at("2026-06-19T23:59:59+02:00"),
        ]
        for start in starts {
            #expect(alwaysOpen.nextWorkingMoment(atOrAfter: start) == start)
            for minutes in stride(from: 0, through: 3 * 24 * 60, by: 17) {
                let duration = Duration.seconds(minutes * 60)
                let plain = start.addingTimeInterval(TimeInterval(minutes * 60))
                #expect(alwaysOpen.addingWorkingTime(duration, to: start) == plain)
                #expect(alwaysOpen.isWorkingMoment(plain))
                #expect(alwaysOpen.workingTime(from: start, to: plain) == duration)
            }
        }
    }

    // MARK: DST in Europe/Stockholm

    @Test func theDaysOfTheTwoChangesAre23And25HoursLong() {
        #expect(alwaysOpen.workingTime(from: at("2026-03-29T00:00:00+01:00"), to: at("2026-03-30T00:00:00+02:00")) == .seconds(23 * 3600))
        #expect(alwaysOpen.workingTime(from: at("2026-10-25T00:00:00+02:00"), to: at("2026-10-26T00:00:00+01:00")) == .seconds(25 * 3600))
        #expect(alwaysOpen.workingInterval(on: day("2026-03-29")) == at("2026-03-29T00:00:00+01:00")..<at("2026-03-30T00:00:00+02:00"))
        #expect(alwaysOpen.workingInterval(on: day("2026-10-25")) == at("2026-10-25T00:00:00+02:00")..<at("2026-10-26T00:00:00+01:00"))
    }

    @Test func noMomentAtTheNonExistent0230InMarch() {
        // Working hours that start in the skipped hour: on 29 March 2026 02:30 does not exist; the day starts
        // at the end of the gap, 03:00 summer time.
        let early = WorkingCalendar(
            workingHours: .init("02:30-17:00")!, workingDays: allWeek, publicHolidays: .none)
        #expect(early.workingInterval(on: day("2026-03-28"))?.lowerBound == at("2026-03-28T02:30:00+01:00"))
        #expect(early.workingInterval(on: day("2026-03-29"))?.lowerBound == at("2026-03-29T03:00:00+02:00"))
        #expect(early.workingInterval(on: day("2026-03-30"))?.lowerBound == at("2026-03-30T02:30:00+02:00"))
        // A nudge due at any minute of the night lands at a real, existing wall time, never 02:xx.
        var previous = Date.distantPast
        var moment = at("2026-03-28T23:00:00+01:00")
        while moment < at("2026-03-29T04:00:00+02:00") {
            for calendar in [early, alwaysOpen] {
                let next = calendar.nextWorkingMoment(atOrAfter: moment)
                let clock = wallClock(next)
                #expect(!(clock.day == 29 && clock.hour == 2), "\(next)")
                let later = calendar.addingWorkingTime(.seconds(30 * 60), to: moment)
                #expect(!(wallClock(later).day == 29 && wallClock(later).hour == 2), "\(later)")
            }
            let next = early.nextWorkingMoment(atOrAfter: moment)
            #expect(next >= previous && next >= moment)
            previous = next
            moment.addTimeInterval(60)
        }
        // Night hours 00:00-03:00 are only two real hours that night.
        let night = WorkingCalendar(workingHours: .init("00:00-03:00")!, workingDays: allWeek, publicHolidays: .none)
        #expect(night.workingTime(from: at("2026-03-29T00:00:00+01:00"), to: at("2026-03-29T12:00:00+02:00")) == .seconds(2 * 3600))
        // Hours entirely inside the gap make no working time that day.
        let gap = WorkingCalendar(workingHours: .init("02:15-02:45")!, workingDays: allWeek, publicHolidays: .none)
        #expect(gap.workingInterval(on: day("2026-03-29")) == nil)
        #expect(gap.nextWorkingMoment(atOrAfter: at("2026-03-29T00:00:00+01:00")) == at("2026-03-30T02:15:00+02:00"))
    }

    @Test func noNudgeDoubledInTheRepeatedHourInOctober() {
        // 25 October 2026: 03:00 summer time becomes 02:00 winter time; 02:00–02:59 happens twice.
        let early = WorkingCalendar(
            workingHours: .init("02:30-17:00")!, workingDays: allWeek, publicHolidays: .none)
        // A repeated start time means its first occurrence, once.
        #expect(early.workingInterval(on: day("2026-10-25"))?.lowerBound == at("2026-10-25T02:30:00+02:00"))
        #expect(early.isWorkingMoment(at("2026-10-25T02:10:00+01:00")), "the second 02:10 is after the start")
        // Stepping minute by minute through the night: the answers never go back, and everything before the
        // start maps to the one start instant.
        var previous = Date.distantPast
        var starts = Set<Date>()
        var moment = at("2026-10-24T23:00:00+02:00")
        while moment < at("2026-10-25T04:00:00+01:00") {
            let next = early.nextWorkingMoment(atOrAfter: moment)
            #expect(next >= previous && next >= moment)
            if next != moment { starts.insert(next) }
            previous = next
            moment.addTimeInterval(60)
        }
        #expect(starts == [at("2026-10-25T02:30:00+02:00")])
        // On an always-open calendar, stepping through the night gives strictly increasing instants, 60 s apart,
        // though the wall clock shows 02:00–02:59 twice.
        let midnight = at("2026-10-25T00:00:00+02:00")
        var instants: [Date] = []
        for minute in 0..<(5 * 60) {
            instants.append(alwaysOpen.addingWorkingTime(.seconds(minute * 60), to: midnight))
        }
        #expect(zip(instants, instants.dropFirst()).allSatisfy { $1.timeIntervalSince($0) == 60 })
        #expect(instants.filter { wallClock($0).hour == 2 }.count == 120)
        #expect(Set(instants).count == instants.count)
        // Office hours are untouched: Friday 16:00 + 2 working hours is Monday 09:00 winter time.
        #expect(office.addingWorkingTime(.seconds(7200), to: at("2026-10-23T16:00:00+02:00")) == at("2026-10-26T09:00:00+01:00"))
    }

    @Test func nextAndAddAreConsistentThroughAYear() {
        var moment = at("2026-01-01T00:00:00+01:00")
        let end = at("2027-01-01T00:00:00+01:00")
        var previous = Date.distantPast
        let durations: [Duration] = [.seconds(2 * 3600), office.workingDays(5), .seconds(1)]
        while moment < end {
            let next = office.nextWorkingMoment(atOrAfter: moment)
            #expect(office.isWorkingMoment(next) && next >= moment && next >= previous)
            #expect(office.workingTime(from: moment, to: next) == .zero)
            previous = next
            for duration in durations {
                let due = office.addingWorkingTime(duration, to: moment)
                #expect(office.isWorkingMoment(due))
                #expect(office.workingTime(from: moment, to: due) == duration)
            }
            moment.addTimeInterval(11 * 3600 + 7 * 60)
        }
    }

    @Test func timesAndHoursParseStrictly() {
        #expect(WorkingCalendar.WorkingHours("08:00-17:00") == .office)
        #expect(WorkingCalendar.WorkingHours("8:00 – 17:00") == .office)
        #expect(WorkingCalendar.WorkingHours("00:00-24:00") == .allDay)
        for bad in ["17:00-08:00", "08:00-08:00", "24:00-24:00", "08:00", "8-17", "08:60-17:00", "25:00-26:00",
            "08:00-24:01", "08.00-17.00", "08:00-17:00-18:00", ""]
        {
            #expect(WorkingCalendar.WorkingHours(bad) == nil, "\(bad)")
        }
    }
}
