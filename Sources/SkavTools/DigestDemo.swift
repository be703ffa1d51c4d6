import Chat
import Conversation
import Digest
import Foundation
import Configuration
import SkavBot
import Intake
import Prompts
import Store

/// `skav digest --demo`: a realistic week of a small organisation, seeded into an in-memory store, and its
/// digest (<doc:Digests>). The organisation, its ideas and the clock are fixed (the week of 16–22 November
/// 2026); the calendar comes from the caller. The golden tests of the digest render this same week.
public enum DigestDemo {
    public static let units = ["Socialtjänst", "Skola", "Äldreomsorg", "Samhällsbyggnad"]
    /// Samhällsbyggnad has no guide: its ideas are followed up by the coordinator.
    public static let roles = Roles(
        coordinators: ["@ia:kommun.se"],
        guides: [
            Roles.Guide(user: "@karin:kommun.se", units: ["Socialtjänst"]),
            Roles.Guide(user: "@olle:kommun.se", units: ["Skola"]),
            Roles.Guide(user: "@maja:kommun.se", units: ["Äldreomsorg"]),
        ])
    /// The configured challenges (themes) ideas can be tied to.
    public static let challenges = [Theme(key: "klimat", title: "Klimatsmart vardag")]

    /// The digest's week: Monday 16 to Sunday 22 November 2026, local midnights.
    public static func period(calendar: WorkingCalendar) -> DigestPeriod {
        DigestPeriod(since: at("2026-11-16", 0, 0, calendar), until: at("2026-11-23", 0, 0, calendar))
    }

    public static func planner(calendar: WorkingCalendar, settings: NudgeSettings = NudgeSettings()) -> NudgePlanner {
        NudgePlanner(calendar: calendar, settings: settings, roles: roles)
    }

    /// A local moment: `day` (`YYYY-MM-DD`) at `hour:minute` in the calendar's time zone.
    static func at(_ day: String, _ hour: Int, _ minute: Int, _ calendar: WorkingCalendar) -> Date {
        calendar.startOfDay(CivilDate(iso: day)!).addingTimeInterval(Double(hour * 3600 + minute * 60))
    }

    /// A fresh in-memory store holding the demo organisation's ideas, history and challenges.
    public static func store(calendar: WorkingCalendar) throws -> IntakeStore {
        let store = try IntakeStore()
        try store.write { tx in try seed(tx, calendar: calendar) }
        return store
    }

    private struct Step {
        var day: String
        var hour: Int
        var minute: Int
        var actor: UserID
        var kind: IdeaEvent.Kind
        var to: IdeaStage? = nil
        var comment: String? = nil
    }

    /// Writes the organisation into the store (which should be empty).
    public static func seed(_ tx: IntakeTransaction, calendar: WorkingCalendar) throws {
        func when(_ day: String, _ hour: Int, _ minute: Int) -> Date { at(day, hour, minute, calendar) }
        let ia: UserID = "@ia:kommun.se"
        let karin: UserID = "@karin:kommun.se", olle: UserID = "@olle:kommun.se", maja: UserID = "@maja:kommun.se"

        try tx.saveCampaign(
            Campaign(
                number: 1, title: "Smidigare introduktion för nyanställda",
                question: "Vad skulle göra första veckan lättare för en ny kollega?",
                deadline: CivilDate(iso: "2026-11-20")!, openedBy: ia, openedAt: when("2026-10-26", 9, 0)))
        try tx.saveCampaign(
            Campaign(
                number: 2, title: "Mindre papper", question: "Var skriver vi fortfarande ut i onödan?",
                deadline: CivilDate(iso: "2026-12-11")!, openedBy: ia, openedAt: when("2026-11-09", 9, 0)))

        /// An idea submitted at `submitted`, with its history: each step moves or touches it.
        func idea(
            _ number: Int, _ author: String, _ unit: String, _ problem: String, solution: String? = nil,
            benefits: String? = nil, challenge: String? = nil, campaign: Int? = nil,
            submitted: (String, Int, Int), steps: [Step] = []
        ) throws {
            let author = UserID("@\(author):kommun.se")
            let submittedAt = when(submitted.0, submitted.1, submitted.2)
            var idea = Idea(
                number: number, author: author, title: deriveTitle(from: problem), problem: problem,
                benefits: benefits, solution: solution, theme: challenge, unit: unit, stage: .inkommen,
                createdAt: submittedAt.addingTimeInterval(-600), updatedAt: submittedAt, submittedAt: submittedAt,
                campaign: campaign)
            try tx.saveIdea(idea)
            try tx.appendEvent(IdeaEvent(ideaNumber: number, at: idea.createdAt, actor: author, kind: .created))
            try tx.appendEvent(
                IdeaEvent(ideaNumber: number, at: submittedAt, actor: author, kind: .submitted, toStage: .inkommen))
            for step in steps {
                let moment = when(step.day, step.hour, step.minute)
                if step.kind == .claimed { idea.guide = step.actor }
                if step.kind == .stage, let to = step.to {
                    try tx.appendEvent(
                        IdeaEvent(
                            ideaNumber: number, at: moment, actor: step.actor, kind: .stage, fromStage: idea.stage,
                            toStage: to, comment: step.comment))
                    idea.stage = to
                    if idea.guide == nil { idea.guide = step.actor }
                } else {
                    try tx.appendEvent(
                        IdeaEvent(ideaNumber: number, at: moment, actor: step.actor, kind: step.kind, comment: step.comment))
                }
                idea.updatedAt = moment
            }
            try tx.saveIdea(idea)
        }

        // Before the week.
        try idea(
            1, "anna", "Socialtjänst",
            "Delegationsbesluten skrivs ut för att signeras för hand. Sedan skannas de in igen.",
            solution: "Digital signering direkt i verksamhetssystemet.", benefits: "colleagues",
            submitted: ("2026-09-14", 10, 0),
            steps: [
                Step(day: "2026-09-15", hour: 9, minute: 0, actor: karin, kind: .claimed),
                Step(day: "2026-09-16", hour: 10, minute: 0, actor: karin, kind: .stage, to: .bedoms),
                Step(day: "2026-09-30", hour: 13, minute: 0, actor: karin, kind: .stage, to: .utvecklas),
                Step(day: "2026-10-20", hour: 10, minute: 0, actor: karin, kind: .stage, to: .testas),
                Step(day: "2026-11-18", hour: 10, minute: 30, actor: karin, kind: .stage, to: .realiserad,
                     comment: "Hela enheten signerar digitalt sedan en vecka."),
            ])
        try idea(
            2, "bo", "Skola", "Schemat i förskolan görs om i tre olika system varje vecka.",
            solution: "Ett gemensamt schemaverktyg för förskolorna.", benefits: "colleagues",
            submitted: ("2026-09-21", 8, 45),
            steps: [
                Step(day: "2026-09-22", hour: 10, minute: 0, actor: olle, kind: .stage, to: .bedoms),
                Step(day: "2026-10-12", hour: 9, minute: 0, actor: olle, kind: .stage, to: .utvecklas),
            ])
        try idea(
            3, "cecilia", "Samhällsbyggnad",
            "Bygglovsritningar skickas fram och tillbaka per post mellan oss och sökanden.",
            benefits: "businesses", submitted: ("2026-11-02", 13, 0))
        try idea(
            4, "david", "Äldreomsorg", "Nycklarna till brukarnas hem kvitteras på papperslistor som ofta kommer bort.",
            benefits: "residents", submitted: ("2026-11-03", 10, 0))
        try idea(
            5, "erik", "Skola", "Vikarier får ingen inloggning förrän dag två, så första dagen blir utan system.",
            campaign: 1, submitted: ("2026-11-13", 14, 0))
        try idea(
            6, "frida", "Skola", "Kaffeautomaten i personalrummet tar bara kort som ingen av oss har.",
            submitted: ("2026-10-05", 11, 0),
            steps: [
                Step(day: "2026-10-06", hour: 9, minute: 0, actor: olle, kind: .stage, to: .bedoms),
                Step(day: "2026-11-19", hour: 15, minute: 0, actor: olle, kind: .stage, to: .avslutad,
                     comment: "Automaten byts ut i vår, och den nya tar swish."),
            ])

        // The week.
        try idea(
            7, "fatima", "Socialtjänst",
            "Det tar för lång tid att boka tolk till möten med familjer. Bokningen går bara per telefon.",
            solution: "Boka tolk i ett webbformulär.", benefits: "residents",
            submitted: ("2026-11-16", 9, 40),
            steps: [
                Step(day: "2026-11-16", hour: 13, minute: 0, actor: karin, kind: .claimed),
                Step(day: "2026-11-17", hour: 10, minute: 0, actor: karin, kind: .stage, to: .bedoms),
            ])
        try idea(
            8, "gustav", "Samhällsbyggnad",
            "Bygglovsansökningar kommer in på papper och skannas in för hand innan någon kan läsa dem.",
            solution: "E-tjänst för bygglov.", benefits: "businesses", campaign: 2,
            submitted: ("2026-11-17", 8, 50))
        try idea(
            9, "helena", "Äldreomsorg",
            "Att boka tolk till hembesök tar lång tid, eftersom bokningen bara går per telefon.",
            benefits: "residents", submitted: ("2026-11-17", 14, 20),
            steps: [Step(day: "2026-11-18", hour: 9, minute: 15, actor: maja, kind: .claimed)])
        try idea(
            10, "ivar", "Skola", "Skrivaren i personalrummet är trasig varannan dag.", benefits: "colleagues",
            submitted: ("2026-11-18", 11, 0),
            steps: [Step(day: "2026-11-19", hour: 8, minute: 30, actor: olle, kind: .message)])
        try idea(
            11, "jonna", "Socialtjänst",
            "Blanketten för försörjningsstöd skrivs ut, fylls i för hand och skannas in igen.",
            solution: "Låt den sökande fylla i den digitalt.", benefits: "residents", campaign: 2,
            submitted: ("2026-11-19", 10, 10))
        try idea(
            12, "karl", "Äldreomsorg", "Hemtjänstens bilar står oanvända på helgerna.",
            solution: "Låna ut dem till andra förvaltningar.", benefits: "brukare, personal och miljön",
            challenge: "klimat", submitted: ("2026-11-20", 15, 30))
        try idea(
            14, "mona", "Skola", "Nya vikarier saknar inloggning första dagen och kan inte se schemat.",
            campaign: 1, submitted: ("2026-11-20", 9, 0))

        // A draft: never in a digest.
        let draftAt = when("2026-11-19", 16, 0)
        try tx.saveIdea(
            Idea(
                number: 13, author: "@lisa:kommun.se", title: "Parkeringen vid stadshuset",
                problem: "Parkeringen vid stadshuset", createdAt: draftAt, updatedAt: draftAt))
    }

    /// The demo week's coordinators' digest, rendered in one markup.
    public static func render(
        language: Language, markup: ChatCapabilities.Markup, calendar: WorkingCalendar, prompts: PromptCatalog
    ) throws -> String {
        let store = try store(calendar: calendar)
        let period = period(calendar: calendar)
        let data = try store.read { tx in
            try DigestLoader.load(tx, period: period, planner: planner(calendar: calendar), themes: challenges)
        }
        let document = DigestBuilder.build(data, language: language, prompts: prompts, calendar: calendar)
        return DigestRenderer.render(document, as: markup)
    }
}
