import Chat
import Foundation
import Intake
import Prompts

// Personal controls of nudges (SkavBot.docc/Conversation.md, Nudges.md) and the praise milestones. The settings live on the
// person, so a change is the turn's `savePerson` action; the scheduler reads them at send time.

extension Turn {
    /// `påminn inte` / `påminn igen`. Turning reminders on also ends a pause.
    mutating func setReminders(on: Bool) {
        person.remindersOff = !on
        if on { person.pausedUntil = nil }
        reply(t(on ? .remindersOn : .remindersOff))
    }

    /// `pausa påminnelser N dagar`: no voluntary nudges for N whole days (24 h each) from now.
    mutating func pauseReminders(days: Int) {
        guard (1...365).contains(days) else { return reply(t(.remindersPauseInvalid)) }
        person.pausedUntil = now.addingTimeInterval(TimeInterval(days) * 86_400)
        reply(t(.remindersPaused, [.days: "\(days)"]))
    }

    /// `veckofråga på|av`.
    mutating func setWeeklyQuestion(on: Bool) {
        person.weeklyCheckin = on
        reply(t(on ? .weeklyOn : .weeklyOff))
    }

    /// The milestone line for the idea-giver's `count`:th submitted idea (1st, 5th, 10th), if any.
    func submitMilestone(count: Int) -> RichText? {
        switch count {
        case 1: t(.praiseFirstIdea)
        case 5, 10: t(.praiseIdeaCount, [.count: "\(count)"])
        default: nil
        }
    }

    /// How many ideas the person has submitted, counting `number` (being submitted now).
    func submittedCount(including number: Int) throws -> Int {
        try context.reader.ideas(author: person.id).filter { $0.stage != .utkast && $0.number != number }.count + 1
    }

    /// The milestone line when `idea` is the author's first to reach testas or realiserad.
    func stageMilestone(_ idea: Idea, to stage: IdeaStage, language: Language) throws -> RichText? {
        let key: PromptKey
        switch stage {
        case .testas: key = .praiseFirstTestas
        case .realiserad: key = .praiseFirstRealiserad
        default: return nil
        }
        for other in try context.reader.ideas(author: idea.author) where other.number != idea.number {
            if other.stage == stage { return nil }
            if try context.reader.events(ofIdea: other.number).contains(where: { $0.toStage == stage }) { return nil }
        }
        return t(key, in: language)
    }
}
