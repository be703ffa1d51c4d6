import Chat
import Digest
import Foundation
import Intake
import SkavBot
import Prompts
import SkavTesting
import Store

/// `prompts/` of this repository (the loader is `SkavTesting`'s, shared by every test target).
let repositoryPrompts = Repository.prompts

/// Europe/Stockholm, 08:00–17:00, Monday to Friday, Swedish holidays.
let calendar = WorkingCalendar()

/// A local moment in Stockholm: `day` at `hour:minute`.
func at(_ day: String, _ hour: Int = 0, _ minute: Int = 0) -> Date {
    calendar.startOfDay(CivilDate(iso: day)!).addingTimeInterval(Double(hour * 3600 + minute * 60))
}

let matrix = ChatCapabilities(maxMessageBytes: 60_000, markup: .html)
/// Mattermost: 16,383 characters a post (its documented `MaxPostSize`).
let mattermost = ChatCapabilities(maxMessageBytes: 16_383, markup: .markdown)

/// The size of a message as a server sees it: for Matrix, the event content as `MatrixChatService.send`
/// encodes it (plain `body` and HTML `formatted_body`); for Markdown and plain text, the text itself.
func sentSize(_ message: RichText, _ markup: ChatCapabilities.Markup) -> Int {
    switch markup {
    case .html:
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let content = [
            "msgtype": "m.notice", "body": message.plainText, "format": "org.matrix.custom.html",
            "formatted_body": message.html,
        ]
        let data = (try? encoder.encode(content)) ?? Data()
        return data.count + #","m.mentions":{}"#.utf8.count
    case .markdown: return message.markdown.utf8.count
    case .plain: return message.plainText.utf8.count
    }
}

/// Ideas written straight into a store, for loader tests.
struct Seeder {
    let tx: IntakeTransaction

    @discardableResult
    func idea(
        _ number: Int, unit: String?, problem: String, author: String = "anna", stage: IdeaStage = .inkommen,
        submitted: Date, guide: UserID? = nil, campaign: Int? = nil
    ) throws -> Idea {
        let idea = Idea(
            number: number, author: UserID("@\(author):kommun.se"), title: deriveTitle(from: problem), problem: problem,
            unit: unit, stage: stage, guide: guide, createdAt: submitted, updatedAt: submitted,
            submittedAt: stage == .utkast ? nil : submitted, campaign: campaign)
        try tx.saveIdea(idea)
        return idea
    }

    func event(
        _ number: Int, _ kind: IdeaEvent.Kind, by actor: UserID, at date: Date, from: IdeaStage? = nil,
        to: IdeaStage? = nil
    ) throws {
        try tx.appendEvent(IdeaEvent(ideaNumber: number, at: date, actor: actor, kind: kind, fromStage: from, toStage: to))
    }
}

let olle: UserID = "@olle:kommun.se"
let karin: UserID = "@karin:kommun.se"
let ia: UserID = "@ia:kommun.se"
let testRoles = Roles(
    coordinators: [ia],
    guides: [Roles.Guide(user: karin, units: ["Socialtjänst"]), Roles.Guide(user: olle, units: ["Skola"])])
let testPlanner = NudgePlanner(calendar: calendar, settings: NudgeSettings(), roles: testRoles)

/// What a prompt says, as plain text: behaviour tests look texts up instead of quoting them.
func promptText(_ key: PromptKey, _ values: [Placeholder: String] = [:], in language: Language = .sv) -> String {
    testPrompts.plain(key, language, values)
}

/// A stage's name in the prompts.
func stageName(_ stage: IdeaStage, in language: Language = .sv) -> String { testPrompts.plain(.stage(stage), language) }
