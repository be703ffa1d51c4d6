import Chat
import Digest
import Foundation
import Intake
import SkavBot
import SkavTesting
import Testing
import Prompts
import Store

@Suite struct LoaderTests {
    static func load(_ store: IntakeStore, _ period: DigestPeriod, themes: [Theme] = []) throws -> DigestData {
        try store.read { tx in try DigestLoader.load(tx, period: period, planner: testPlanner, themes: themes) }
    }

    static func period(until: Date) -> DigestPeriod {
        DigestPeriod(since: until.addingTimeInterval(-7 * 86_400), until: until)
    }

    // MARK: Overdue follow-ups on the working calendar

    /// Friday 16:00 + 5 working days (08–17) is the next Friday 16:00; + 10 is the Friday after.
    @Test func followupThenEscalationInWorkingTime() throws {
        let store = try IntakeStore()
        try store.write { tx in
            _ = try Seeder(tx: tx).idea(1, unit: "Skola", problem: "Skrivaren krånglar.", submitted: at("2026-12-04", 16))
        }
        #expect(try Self.load(store, Self.period(until: at("2026-12-11", 15, 59))).overdue.isEmpty)

        let due = try Self.load(store, Self.period(until: at("2026-12-11", 16))).overdue
        #expect(due.map(\.kind) == [.followup])
        #expect(due.first?.followers == [olle])
        #expect(due.first?.waitingSince == at("2026-12-04", 16))
        #expect(DigestBuilder.workingDays(from: at("2026-12-04", 16), to: at("2026-12-11", 16), calendar: calendar) == 5)

        #expect(try Self.load(store, Self.period(until: at("2026-12-18", 15, 59))).overdue.map(\.kind) == [.followup])
        #expect(try Self.load(store, Self.period(until: at("2026-12-18", 16))).overdue.map(\.kind) == [.escalated])

        let document = DigestBuilder.build(
            try Self.load(store, Self.period(until: at("2026-12-18", 16))), language: .sv, prompts: try loadPrompts(),
            calendar: calendar)
        let plain = DigestRenderer.render(document, as: .plain)
        let escalated = testPrompts.text(
            .digestOverdueEscalated, .sv,
            [.number: "1", .title: "Skrivaren krånglar", .unit: "Skola", .days: promptText(.digestDays, [.count: "10"]), .guide: "@olle:kommun.se"])
        #expect(plain.contains(escalated.plainText))
        #expect(DigestRenderer.render(document, as: .html).contains(escalated.html))
    }

    /// Julafton, juldagen, annandagen (a Saturday), nyårsafton and nyårsdagen are not working days:
    /// submitted Tuesday 22 December 10:00, the follow-up is due Monday 4 January 10:00.
    @Test func holidaysDoNotCount() throws {
        let store = try IntakeStore()
        try store.write { tx in
            _ = try Seeder(tx: tx).idea(1, unit: "Skola", problem: "Julschemat.", submitted: at("2026-12-22", 10))
        }
        #expect(try Self.load(store, Self.period(until: at("2027-01-04", 9, 59))).overdue.isEmpty)
        #expect(try Self.load(store, Self.period(until: at("2027-01-04", 10))).overdue.map(\.kind) == [.followup])
        #expect(DigestBuilder.workingDays(from: at("2026-12-22", 10), to: at("2027-01-04", 10), calendar: calendar) == 5)
        // In calendar days that was 13.
    }

    @Test func guideActionOrClaimMeansNotOverdue() throws {
        let store = try IntakeStore()
        try store.write { tx in
            let seed = Seeder(tx: tx)
            try seed.idea(1, unit: "Skola", problem: "Ingen gör något.", submitted: at("2026-11-02", 9))
            try seed.idea(2, unit: "Skola", problem: "Någon svarade.", submitted: at("2026-11-02", 9))
            try seed.event(2, .message, by: olle, at: at("2026-11-03", 9))
            try seed.idea(3, unit: "Skola", problem: "Någon tog den.", submitted: at("2026-11-02", 9), guide: olle)
            // The idea-giver's own activity is no guide action.
            try seed.idea(4, unit: "Skola", problem: "Bara idégivaren.", author: "bo", submitted: at("2026-11-02", 9))
            try seed.event(4, .edited, by: "@bo:kommun.se", at: at("2026-11-03", 9))
        }
        let overdue = try Self.load(store, Self.period(until: at("2026-11-23"))).overdue
        #expect(overdue.map(\.idea.number) == [1, 4])
        #expect(overdue.allSatisfy { $0.kind == .escalated })
    }

    @Test func unitWithoutGuideAndNoRolesStillShowsOverdue() throws {
        let store = try IntakeStore()
        try store.write { tx in
            try Seeder(tx: tx).idea(1, unit: "Samhällsbyggnad", problem: "Ritningar per post.", submitted: at("2026-11-02", 9))
            try Seeder(tx: tx).idea(2, unit: nil, problem: "Utan förvaltning.", submitted: at("2026-11-02", 9))
        }
        let noRoles = NudgePlanner(calendar: calendar, settings: NudgeSettings(), roles: .none)
        for planner in [testPlanner, noRoles] {
            let data = try store.read { tx in
                try DigestLoader.load(tx, period: Self.period(until: at("2026-11-23")), planner: planner, themes: [])
            }
            #expect(data.overdue.map(\.idea.number) == [1, 2])
            #expect(data.overdue.allSatisfy { $0.followers.isEmpty && $0.kind == .followup })
        }
        let document = DigestBuilder.build(
            try Self.load(store, Self.period(until: at("2026-11-23"))), language: .en, prompts: try loadPrompts(),
            calendar: calendar)
        let plain = DigestRenderer.render(document, as: .plain)
        #expect(
            plain.contains(
                promptText(
                    .digestOverdueFollowup,
                    [.number: "2", .title: "Utan förvaltning", .unit: promptText(.digestNoUnit, in: .en),
                        .days: promptText(.digestDays, [.count: "14"], in: .en), .guide: promptText(.digestNoGuide, in: .en)], in: .en)))
    }

    @Test func staleStageWithAssignedGuide() throws {
        let store = try IntakeStore()
        try store.write { tx in
            let seed = Seeder(tx: tx)
            try seed.idea(1, unit: "Socialtjänst", problem: "Gammalt projekt.", stage: .utvecklas, submitted: at("2026-09-01", 9), guide: olle)
            try seed.event(1, .stage, by: olle, at: at("2026-10-01", 9), from: .bedoms, to: .utvecklas)
            try seed.idea(2, unit: "Socialtjänst", problem: "Färskt projekt.", stage: .testas, submitted: at("2026-09-01", 9), guide: karin)
            try seed.event(2, .stage, by: karin, at: at("2026-11-16", 9), from: .utvecklas, to: .testas)
            // Bedöms is never stale (no reminder for it).
            try seed.idea(3, unit: "Skola", problem: "Bedöms länge.", stage: .bedoms, submitted: at("2026-01-05", 9), guide: olle)
        }
        let overdue = try Self.load(store, Self.period(until: at("2026-11-23"))).overdue
        #expect(overdue.map(\.idea.number) == [1])
        #expect(overdue.first?.kind == .stale)
        #expect(overdue.first?.followers == [olle])
        #expect(overdue.first?.waitingSince == at("2026-10-01", 9))
    }

    // MARK: New ideas, stage changes, challenges, thanks

    @Test func newIdeasChangesChallengesAndThanks() throws {
        let store = try IntakeStore()
        let week = DigestPeriod(since: at("2026-11-16"), until: at("2026-11-23"))
        try store.write { tx in
            let seed = Seeder(tx: tx)
            try tx.saveCampaign(
                Campaign(number: 1, title: "Mindre papper", question: "Var?", deadline: CivilDate(iso: "2026-11-20")!,
                         openedBy: ia, openedAt: at("2026-11-02", 9)))
            try tx.saveCampaign(
                Campaign(number: 2, title: "Stängd", question: "?", deadline: CivilDate(iso: "2026-12-20")!, openedBy: ia,
                         openedAt: at("2026-11-02", 9), closedAt: at("2026-11-10", 9), closedBy: ia))
            try seed.idea(1, unit: "Skola", problem: "Före veckan.", submitted: at("2026-11-13", 9), campaign: 1)
            var theme = try seed.idea(2, unit: "Skola", problem: "Med tema.", submitted: at("2026-11-16", 0), campaign: 1)
            theme.theme = "klimat"
            theme.benefits = "residents"
            try tx.saveIdea(theme)
            try seed.idea(3, unit: "Skola", problem: "Precis efter veckan.", submitted: at("2026-11-23"))
            try seed.idea(4, unit: "Skola", problem: "Ett utkast.", stage: .utkast, submitted: at("2026-11-17"))
            try seed.event(1, .stage, by: olle, at: at("2026-11-18", 9), from: .inkommen, to: .bedoms)
            try seed.event(1, .stage, by: olle, at: at("2026-11-15", 9), from: .inkommen, to: .bedoms)
            // The idea-giver's own reply is not a guide action.
            try seed.event(2, .message, by: "@anna:kommun.se", at: at("2026-11-18", 9))
        }
        let data = try Self.load(store, week, themes: [Theme(key: "klimat", title: "Klimatsmart vardag")])
        #expect(data.newIdeas.map(\.idea.number) == [2])
        #expect(data.newIdeas.first?.challenge == "Klimatsmart vardag, Mindre papper")
        #expect(data.newIdeas.first?.benefits == "residents")
        #expect(data.stageChanges.map(\.number) == [1])
        #expect(data.stageChanges.first?.to == .bedoms)
        #expect(data.challenges.map(\.number) == [1])
        #expect(data.challenges.first?.ideas == 2)
        #expect(data.challenges.first?.newIdeas == 1)
        #expect(data.guideActions == 1)
        #expect(data.funnel.map(\.stage) == [.inkommen, .bedoms, .utvecklas, .testas, .realiserad, .parkerad, .avslutad])
        #expect(data.funnel.first?.count == 3)

        let plain = DigestRenderer.render(
            DigestBuilder.build(data, language: .sv, prompts: try loadPrompts(), calendar: calendar), as: .plain)
        #expect(
            plain.contains(
                promptText(.digestNewLine, [.number: "2", .title: "Med tema", .unit: "Skola"])
                    + promptText(.digestNewChallenge, [.challenge: "Klimatsmart vardag, Mindre papper"])
                    + promptText(.digestNewBenefits, [.benefits: promptText(.benefitsResidents)])))
        #expect(plain.contains(promptText(.digestChangesLine, [.number: "1", .title: "Före veckan", .from: stageName(.inkommen), .to: stageName(.bedoms)])))
        #expect(plain.contains(promptText(.digestChallengesPassed, [.number: "1"])))
        #expect(plain.contains(promptText(.digestThanks)))
        #expect(!plain.contains("Stängd"))
    }

    // MARK: Clusters of similar ideas across units

    static let tolk = [
        "Det tar för lång tid att boka tolk till möten med familjer, bokningen går bara per telefon.",
        "Att boka tolk till hembesök tar lång tid eftersom bokningen bara går per telefon.",
        "Bokningen av tolk tar lång tid och går bara per telefon, även till utvecklingssamtal.",
    ]

    @Test func similarIdeasOfDifferentUnitsCluster() throws {
        let store = try IntakeStore()
        try store.write { tx in
            let seed = Seeder(tx: tx)
            // An old idea (before the period) in a third unit joins the cluster.
            try seed.idea(1, unit: "Skola", problem: Self.tolk[2], submitted: at("2026-10-05", 9))
            try seed.idea(2, unit: "Socialtjänst", problem: Self.tolk[0], submitted: at("2026-11-16", 9))
            try seed.idea(3, unit: "Äldreomsorg", problem: Self.tolk[1], submitted: at("2026-11-17", 9))
            try seed.idea(4, unit: "Skola", problem: "Skrivaren på plan två är trasig igen.", submitted: at("2026-11-18", 9))
        }
        let data = try Self.load(store, DigestPeriod(since: at("2026-11-16"), until: at("2026-11-23")))
        #expect(data.clusters.count == 1)
        #expect(data.clusters.first?.ideas.map(\.number) == [1, 2, 3])
        // The suggestion pairs a new idea with its best match of another unit.
        let suggestion = try #require(data.clusters.first?.suggestion)
        #expect(suggestion.count == 2 && suggestion.allSatisfy([1, 2, 3].contains) && suggestion[0] < suggestion[1])
        #expect(suggestion.contains(2) || suggestion.contains(3))
        let plain = DigestRenderer.render(
            DigestBuilder.build(data, language: .sv, prompts: try loadPrompts(), calendar: calendar), as: .plain)
        #expect(plain.contains(promptText(.digestClustersTitle, [.count: "1"]) + "\n• #1 "))
        #expect(plain.contains("\n   ≈ #2 "))
        #expect(plain.contains(promptText(.digestClustersHint, [.first: "\(suggestion[0])", .second: "\(suggestion[1])"])))
    }

    @Test func noClusterForTheSameUnitOrLinkedIdeas() throws {
        let period = DigestPeriod(since: at("2026-11-16"), until: at("2026-11-23"))
        let sameUnit = try IntakeStore()
        try sameUnit.write { tx in
            let seed = Seeder(tx: tx)
            try seed.idea(1, unit: "Socialtjänst", problem: Self.tolk[0], submitted: at("2026-11-16", 9))
            try seed.idea(2, unit: "Socialtjänst", problem: Self.tolk[1], submitted: at("2026-11-17", 9))
            // No unit: cannot tell it is another one.
            try seed.idea(3, unit: nil, problem: Self.tolk[2], submitted: at("2026-11-17", 10))
        }
        #expect(try Self.load(sameUnit, period).clusters.isEmpty)

        let linked = try IntakeStore()
        try linked.write { tx in
            let seed = Seeder(tx: tx)
            try seed.idea(1, unit: "Socialtjänst", problem: Self.tolk[0], submitted: at("2026-11-16", 9))
            try seed.idea(2, unit: "Äldreomsorg", problem: Self.tolk[1], submitted: at("2026-11-17", 9))
            try tx.linkIdeas(1, 2, by: karin, at: at("2026-11-18", 9))
        }
        #expect(try Self.load(linked, period).clusters.isEmpty)
    }

    // MARK: A guide's inbox

    @Test func guideInbox() throws {
        let store = try IntakeStore()
        let week = DigestPeriod(since: at("2026-11-16"), until: at("2026-11-23"))
        try store.write { tx in
            let seed = Seeder(tx: tx)
            try seed.idea(1, unit: "Skola", problem: "Väntar länge.", submitted: at("2026-11-02", 9))
            try seed.idea(2, unit: "Skola", problem: "Ny i veckan.", submitted: at("2026-11-20", 9))
            try seed.idea(3, unit: "Skola", problem: "Min egen.", stage: .bedoms, submitted: at("2026-11-10", 9), guide: olle)
            try seed.idea(4, unit: "Skola", problem: "Någon annans.", stage: .bedoms, submitted: at("2026-11-10", 9), guide: karin)
            try seed.idea(5, unit: "Socialtjänst", problem: "Annan förvaltning.", submitted: at("2026-11-20", 9))
            try seed.idea(6, unit: "Socialtjänst", problem: "Tilldelad mig ändå.", stage: .utvecklas, submitted: at("2026-11-19", 9), guide: olle)
            try seed.idea(7, unit: "Skola", problem: "Klar.", stage: .realiserad, submitted: at("2026-10-01", 9), guide: olle)
            try seed.idea(8, unit: "Skola", problem: "Utkast.", stage: .utkast, submitted: at("2026-11-20", 9))
        }
        let data = try store.read { tx in try DigestLoader.loadGuide(tx, guide: olle, period: week, planner: testPlanner) }
        #expect(data.overdue.map(\.idea.number) == [1])
        #expect(data.waiting.map(\.number) == [2])
        #expect(data.assigned.map(\.number) == [3, 6])

        let prompts = try loadPrompts()
        let plain = DigestRenderer.render(
            try #require(DigestBuilder.buildGuide(data, language: .sv, prompts: prompts, calendar: calendar)), as: .plain)
        #expect(
            plain.hasPrefix(
                promptText(.digestGuideTitle, [.from: "2026-11-16", .to: "2026-11-22"]) + "\n\n"
                    + promptText(.digestGuideOverdueTitle, [.count: "1"]) + "\n"
                    + testPrompts.fragments(.digestOverdueFollowup, .sv, [.number: "1", .title: "Väntar länge", .unit: "Skola"])[0]))
        #expect(
            plain.contains(
                promptText(.digestGuideWaitingTitle, [.count: "1"]) + "\n"
                    + promptText(.digestGuideLine, [.number: "2", .title: "Ny i veckan", .stage: stageName(.inkommen), .unit: "Skola"])))
        #expect(
            plain.contains(
                promptText(.digestGuideAssignedTitle, [.count: "2"]) + "\n"
                    + promptText(.digestGuideLine, [.number: "3", .title: "Min egen", .stage: stageName(.bedoms), .unit: "Skola"]) + "\n"
                    + promptText(
                        .digestGuideLine, [.number: "6", .title: "Tilldelad mig ändå", .stage: stageName(.utvecklas), .unit: "Socialtjänst"])))

        // Someone who guides nothing and has nothing assigned gets no digest.
        let nobody = try store.read { tx in
            try DigestLoader.loadGuide(tx, guide: "@ny:kommun.se", period: week, planner: testPlanner)
        }
        #expect(nobody.isEmpty)
        #expect(DigestBuilder.buildGuide(nobody, language: .sv, prompts: prompts, calendar: calendar) == nil)
    }
}

@Suite struct SimilarityBatchTests {
    /// The batch query the digest uses gives what `similarIdeas(to:excluding:limit:)` gives, idea by idea.
    @Test func batchMatchesOneByOne() throws {
        let store = try IntakeStore()
        try store.write { tx in
            let seed = Seeder(tx: tx)
            for (offset, text) in LoaderTests.tolk.enumerated() {
                try seed.idea(offset + 1, unit: "Skola", problem: text, submitted: at("2026-11-16", 9 + offset))
            }
            try seed.idea(4, unit: "Skola", problem: "Skrivaren på plan två är trasig igen.", submitted: at("2026-11-17", 9))
            try seed.idea(5, unit: "Skola", problem: "Skrivaren på plan tre är också trasig.", submitted: at("2026-11-17", 10))
            try seed.idea(6, unit: "Skola", problem: "Tolk per telefon, ett utkast.", stage: .utkast, submitted: at("2026-11-17", 11))
            try seed.idea(7, unit: "Skola", problem: "!!!", submitted: at("2026-11-17", 12))
        }
        try store.read { tx in
            let ideas = try tx.ideas(stages: IdeaStage.allCases, unit: nil)
            for limit in [1, 10] {
                let batch = try tx.similarIdeas(toEach: ideas, limit: limit)
                for idea in ideas {
                    let single = try tx.similarIdeas(to: Similarity.text(of: idea), excluding: idea.number, limit: limit)
                    #expect(batch[idea.number] == single, "#\(idea.number)")
                }
                #expect(batch[1]?.isEmpty == false)
            }
        }
    }
}
