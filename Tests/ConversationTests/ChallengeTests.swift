import Chat
import Foundation
import Intake
import Testing
import Prompts
import SkavTesting

@testable import Conversation

/// Idea challenges, good examples and the digest on demand (SkavBot.docc/Intake.md, Digests.md; issue 5).
@Suite struct ChallengeTests {
    static let anna: UserID = "@anna:kommun.se"
    static let bo: UserID = "@bo:kommun.se"
    static let karin: UserID = "@karin:kommun.se"  // guide
    static let ia: UserID = "@ia:kommun.se"  // coordinator
    static let roles = Roles(coordinators: [ia], guides: [.init(user: karin, units: ["Socialförvaltningen"])])
    static let config = ConversationConfig(
        units: sampleUnits, themes: sampleChallenges, roles: roles, sharedRoom: true, coordinatorsRoom: true,
        timeZone: TimeZone(identifier: "Europe/Stockholm")!)
    /// `start` is 2025-10-09 in Stockholm.
    static let deadline = "2025-10-24"

    static func intake(followers: [UserID] = []) -> FakeIntake {
        let intake = FakeIntake()
        for user in followers {
            intake.persons[user] = Person(id: user, language: user == bo ? .en : nil, createdAt: start, challengeUpdates: true)
        }
        return intake
    }

    /// Ia opens challenge 1 in `intake`.
    static func open(_ intake: FakeIntake, config: ConversationConfig = config) throws -> Harness {
        var ia = try Harness(Self.ia, config: config, intake: intake)
        try ia.send("utmaning ny Mindre papper | Vad tar onödigt mycket tid i din vardag? | \(deadline)")
        return ia
    }

    @Test func aCoordinatorOpensAChallengeAnnouncedInTheSharedRoomAndToFollowers() throws {
        let intake = Self.intake(followers: [Self.anna, Self.bo])
        let ia = try Self.open(intake)
        let campaign = try #require(intake.campaignsByNumber[1])
        #expect(campaign.title == "Mindre papper")
        #expect(campaign.question == "Vad tar onödigt mycket tid i din vardag?")
        #expect(campaign.deadline.description == Self.deadline)
        #expect(campaign.openedBy == Self.ia)
        #expect(testPrompts.says(ia.replies.joined(), .challengeOpened, .sv, [.challenge: "1", .title: "Mindre papper"]))
        #expect(testPrompts.says(ia.replies.joined(), .challengeOpenedFollowers, .sv, [.count: "2"]))
        // One announcement in the shared room, one DM per follower in their own language.
        #expect(intake.announcements.map { $0.1 } == [nil, Self.anna, Self.bo])
        #expect(intake.announcements.allSatisfy { $0.0 == 1 })
        #expect(testPrompts.says(intake.announcements[0].2.plainText, .challengeAnnouncement, .sv, [.title: "Mindre papper"]))
        #expect(testPrompts.says(intake.announcements[2].2.plainText, .challengeAnnouncementDirect, .en, [.title: "Mindre papper"]))
        #expect(testPrompts.says(intake.announcements[1].2.plainText, .challengeAnnouncementDirect, .sv))
    }

    @Test func withoutASharedRoomOnlyFollowersHear() throws {
        var config = Self.config
        config.sharedRoom = false
        let intake = Self.intake(followers: [Self.anna])
        let ia = try Self.open(intake, config: config)
        #expect(intake.announcements.map { $0.1 } == [Self.anna])
        #expect(ia.replies.joined().contains(testPrompts.plain(.challengeOpenedNoShared)))
    }

    @Test(arguments: [
        "utmaning ny", "utmaning ny Titel", "utmaning ny Titel | Fråga", "utmaning ny  | Fråga | 2025-10-24",
        "utmaning ny Titel | | 2025-10-24",
    ])
    func anIncompleteChallengeGetsTheUsage(_ text: String) throws {
        let intake = Self.intake()
        var ia = try Harness(Self.ia, config: Self.config, intake: intake)
        try ia.send(text)
        #expect(intake.campaignsByNumber.isEmpty)
        #expect(ia.replies == [ia.text(.challengeNewUsage)])
    }

    @Test func badDeadlinesAndTitlesAreRefusedKindly() throws {
        let intake = Self.intake()
        var ia = try Harness(Self.ia, config: Self.config, intake: intake)
        try ia.send("utmaning ny Titel | Fråga? | nästa fredag")
        #expect(ia.replies == [ia.text(.challengeDeadlineInvalid, [.text: "nästa fredag"])])
        try ia.send("utmaning ny Titel | Fråga? | 2025-02-30")
        #expect(ia.replies == [ia.text(.challengeDeadlineInvalid, [.text: "2025-02-30"])])
        try ia.send("utmaning ny Titel | Fråga? | 2025-10-01")
        #expect(ia.replies == [ia.text(.challengeDeadlinePassed, [.deadline: "2025-10-01"])])
        try ia.send("utmaning ny \(String(repeating: "x", count: 121)) | Fråga? | 2025-10-24")
        #expect(ia.replies == [ia.text(.challengeTitleTooLong, [.limit: "120"])])
        #expect(intake.campaignsByNumber.isEmpty)
    }

    @Test(arguments: ["utmaning ny T | F | 2025-10-24", "utmaning stäng 1", "sammanfattning", "lyft 1"])
    func onlyCoordinatorsRunChallengesDigestsAndLifts(_ text: String) throws {
        let intake = Self.intake()
        for user in [Self.anna, Self.karin] {
            var person = try Harness(user, config: Self.config, intake: intake)
            try person.send(text)
            #expect(person.replies == [person.text(.challengeCoordinatorOnly)], "\(user): \(text)")
            #expect(person.actions.allSatisfy { if case .reply = $0 { true } else { false } })
        }
        #expect(intake.campaignsByNumber.isEmpty && intake.digestsRequested == 0 && intake.lifts.isEmpty)
    }

    @Test func aReplyToTheAnnouncementStartsADraftInTheChallengeWithoutTheChallengeQuestion() throws {
        let intake = Self.intake()
        _ = try Self.open(intake)
        var anna = try Harness(Self.anna, config: Self.config, intake: intake)
        try anna.send("Vi skriver ut samma blankett tre gånger.", replyTo: 1)
        let draft = try #require(anna.savedIdeas.first)
        #expect(draft.campaign == 1)
        #expect(testPrompts.says(anna.replies.joined(), .challengeDraftSaved, .sv, [.title: "Mindre papper"]))
        try anna.send("2")  // colleagues
        try anna.send("vet ej")  // solution: no challenge question follows, straight to the summary
        #expect(anna.replies.joined().contains(testPrompts.plain(.summaryChallenge, .sv, [.text: "Mindre papper"])))
        try anna.send("skicka")
        try anna.send("1")  // unit
        #expect(anna.idea(1)?.stage == .inkommen)
        #expect(anna.idea(1)?.campaign == 1)
        #expect(try intake.ideas(campaign: 1).map(\.number) == [1])
    }

    @Test func aChallengeCanBePickedInTheChallengeQuestion() throws {
        let intake = Self.intake()
        _ = try Self.open(intake)
        var anna = try Harness(Self.anna, config: Self.config, intake: intake)
        try anna.send("Blanketterna är för många.")
        try anna.send("hoppa")
        try anna.send("hoppa")
        // Configured challenges first, then the running idea challenge.
        #expect(anna.replies.joined().contains(testPrompts.plain(.listLine, .sv, [.index: "3", .text: "Mindre papper"])))
        try anna.send("3")
        #expect(anna.idea(1)?.campaign == 1)
        #expect(anna.idea(1)?.theme == nil)
        try anna.send("ändra 4")
        try anna.send("1")
        #expect(anna.idea(1)?.campaign == nil)
        #expect(anna.idea(1)?.theme == "integration")
        try anna.send("ångra")
        #expect(anna.idea(1)?.campaign == 1)
    }

    @Test func theChallengeCommandShowsOrTakesAnIdea() throws {
        let intake = Self.intake()
        _ = try Self.open(intake)
        var anna = try Harness(Self.anna, config: Self.config, intake: intake)
        try anna.send("utmaningar")
        #expect(anna.replies.joined().contains(testPrompts.plain(.challengeListLine, .sv, [.challenge: "1", .title: "Mindre papper", .deadline: "2025-10-24"])))
        try anna.send("utmaning 1")
        #expect(anna.replies.joined().contains(testPrompts.plain(.challengeCardQuestion, .sv, [.question: "Vad tar onödigt mycket tid i din vardag?"])))
        #expect(anna.savedIdeas.isEmpty)
        try anna.send("utmaning 1 Resor bokas i tre system.")
        #expect(anna.savedIdeas.first?.campaign == 1)
        #expect(anna.savedIdeas.first?.problem == "Resor bokas i tre system.")
        try anna.send("utmaning 9")
        #expect(anna.replies == [anna.text(.challengeNotFound, [.challenge: "9"])])
    }

    @Test func afterTheDeadlineAReplyBecomesAnOrdinaryIdea() throws {
        let intake = Self.intake()
        _ = try Self.open(intake)
        var anna = try Harness(Self.anna, config: Self.config, intake: intake)
        anna.now = start.addingTimeInterval(20 * 86_400)  // 2025-10-29, past the deadline
        try anna.send("Sent påkommen idé.", replyTo: 1)
        #expect(anna.savedIdeas.first?.campaign == nil)
        #expect(testPrompts.says(anna.replies.joined(), .challengeNotRunning))
        try anna.send("utmaningar")
        #expect(anna.replies.joined().contains(anna.text(.challengeNoneRunning)))
    }

    @Test func optingInAndOut() throws {
        var anna = try Harness(Self.anna, config: Self.config)
        try anna.send("utmaningar på")
        #expect(anna.person.challengeUpdates)
        try anna.send("Utmaningar av")
        #expect(!anna.person.challengeUpdates)
        try anna.send("challenges on")
        #expect(anna.person.challengeUpdates)
    }

    @Test func closingPostsASummaryToTheCoordinatorsAndThanksTheParticipants() throws {
        let intake = Self.intake()
        var ia = try Self.open(intake)
        var anna = try Harness(Self.anna, config: Self.config, intake: intake)
        try anna.send("utmaning 1 Resor bokas i tre system.")
        try anna.send("klar")
        try anna.send("1")
        try ia.send("utmaning stäng 1")
        #expect(intake.campaignsByNumber[1]?.closedAt != nil)
        #expect(intake.campaignsByNumber[1]?.closedBy == Self.ia)
        let summary = try #require(intake.posts.last)
        #expect(summary.0 == .coordinators)
        #expect(testPrompts.says(summary.1.plainText, .challengeSummaryTitle, .sv, [.challenge: "1", .title: "Mindre papper"]))
        #expect(summary.1.plainText.contains(testPrompts.plain(.challengeSummaryCount, .sv, [.count: "1", .people: "1"])))
        #expect(
            summary.1.plainText.contains(
                testPrompts.plain(
                    .challengeSummaryLine, .sv,
                    [.number: "1", .title: "Resor bokas i tre system", .unit: "Socialförvaltningen", .stage: testPrompts.plain(.stage(.inkommen))])))
        #expect(testPrompts.says(ia.replies.joined(), .challengeClosedToRoom, .sv, [.challenge: "1"]))
        #expect(intake.notices.last?.0 == Self.anna)
        #expect(testPrompts.says(intake.notices.last?.1.plainText ?? "", .challengeClosedThanks))
        try ia.send("utmaning stäng 1")
        #expect(ia.replies == [ia.text(.challengeAlreadyClosed, [.challenge: "1"])])
        try ia.send("utmaning stäng")
        #expect(ia.replies == [ia.text(.challengeCloseUsage)])
    }

    @Test func theDigestOnDemandIsAnAction() throws {
        let intake = Self.intake()
        var ia = try Harness(Self.ia, config: Self.config, intake: intake)
        try ia.send("sammanfattning")
        #expect(intake.digestsRequested == 1)
        #expect(ia.replies == [ia.text(.digestSentToRoom)])
        var config = Self.config
        config.coordinatorsRoom = false
        var direct = try Harness(Self.ia, config: config, intake: intake)
        try direct.send("Digest")
        #expect(intake.digestsRequested == 2)
        #expect(direct.replies == [direct.text(.digestComing)])
    }

    // MARK: lyft N

    static func submitted(_ intake: FakeIntake, by author: UserID = anna, number: Int = 1) {
        intake.apply([
            .saveIdea(
                Idea(
                    number: number, author: author, title: "Tolkbokning", problem: "Det tar för lång tid att boka tolk.",
                    solution: "En gemensam bokningssida.", unit: "Socialförvaltningen", stage: .utvecklas,
                    createdAt: start, updatedAt: start, submittedAt: start))
        ])
    }

    /// Anna's idea 1, submitted, and Ia's `lyft 1`: Anna has been asked whether it may be shown.
    static func liftAsked() throws -> (intake: FakeIntake, ia: Harness, anna: Harness) {
        let intake = Self.intake()
        Self.submitted(intake)
        var ia = try Harness(Self.ia, config: Self.config, intake: intake)
        try ia.send("lyft 1")
        return (intake, ia, try Harness(Self.anna, config: Self.config, intake: intake))
    }

    @Test(arguments: [("ja 1", true), ("Ja tack 1", true), ("anonymt 1", false), ("ja anonymt 1", false), ("yes 1", true)])
    func aLiftIsShownOnlyAfterConsent(_ answer: String, named: Bool) throws {
        let intake = Self.intake()
        Self.submitted(intake)
        var ia = try Harness(Self.ia, config: Self.config, intake: intake)
        try ia.send("lyft 1")
        #expect(intake.lifts[1]?.answer == nil)
        #expect(intake.posts.isEmpty)
        #expect(intake.notices.last?.0 == Self.anna)
        #expect(testPrompts.says(intake.notices.last?.1.plainText ?? "", .liftQuestion, .sv, [.number: "1"]))
        try ia.send("lyft 1")
        #expect(ia.replies == [ia.text(.liftPending, [.number: "1"])])

        var anna = try Harness(Self.anna, config: Self.config, intake: intake)
        try anna.send(answer)
        #expect(intake.lifts[1]?.answer == (named ? .yes : .anonymous))
        let post = try #require(intake.posts.last)
        #expect(post.0 == .shared)
        #expect(testPrompts.says(post.1.plainText, .liftExampleTitle, .sv, [.number: "1", .title: "Tolkbokning"]))
        #expect(post.1.plainText.contains(testPrompts.plain(.liftExampleSolution, .sv, [.text: "En gemensam bokningssida."])))
        #expect(post.1.plainText.contains("@anna:kommun.se") == named)
        #expect(anna.savedIdeas.isEmpty, "the answer is not a new idea")
        #expect(intake.notices.last?.0 == Self.ia)
        try ia.send("lyft 1")
        #expect(ia.replies == [ia.text(.liftAlready, [.number: "1"])])
    }

    @Test func noMeansNothingIsShownAndNobodyAsksAgain() throws {
        let asked = try Self.liftAsked()
        let intake = asked.intake
        var (ia, anna) = (asked.ia, asked.anna)
        try anna.send("Nej tack 1")
        #expect(intake.lifts[1]?.answer == LiftRequest.Answer.no)
        #expect(intake.posts.isEmpty)
        #expect(testPrompts.says(intake.notices.last?.1.plainText ?? "", .liftRefused, .sv, [.number: "1"]))
        try ia.send("lyft 1")
        #expect(ia.replies == [ia.text(.liftDeclinedBefore, [.number: "1"])])
        #expect(intake.notices.filter { $0.0 == Self.anna }.count == 1)
    }

    @Test func aYesInTheMiddleOfAQuestionIsAnAnswerToTheQuestion() throws {
        let asked = try Self.liftAsked()
        let intake = asked.intake
        var anna = asked.anna
        try anna.send("Kopiatorn är trasig.")
        try anna.send("hoppa")
        try anna.send("ja")  // the solution question: "ja" is the answer
        #expect(intake.lifts[1]?.answer == nil)
        #expect(anna.idea(2)?.solution == "ja")
        try anna.send("ja 1")  // with the number it is the consent, even mid-draft
        #expect(intake.lifts[1]?.answer == .yes)
    }

    @Test func aBareYesIsNeverConsentItOnlyGetsAHint() throws {
        let intake = Self.intake()
        Self.submitted(intake, number: 1)
        Self.submitted(intake, number: 2)
        var ia = try Harness(Self.ia, config: Self.config, intake: intake)
        try ia.send("lyft 1")
        try ia.send("lyft 2")
        var anna = try Harness(Self.anna, config: Self.config, intake: intake)
        // "ja" may be meant for a guide's question or the weekly question: nothing is published on it.
        for bare in ["ja", "nej", "anonymt", "yes"] {
            try anna.send(bare)
            #expect(anna.replies == [anna.text(.liftWhich, [.numbers: "1, 2"])])
            #expect(anna.savedIdeas.isEmpty)
        }
        #expect(intake.lifts.values.allSatisfy { $0.answer == nil })
        #expect(intake.posts.isEmpty)
        // Words that are no consent at all are ordinary text.
        try anna.send("ok")
        #expect(anna.savedIdeas.first?.problem == "ok")
        try anna.send("avbryt")
        try anna.send("nej 2")
        #expect(intake.lifts[2]?.answer == LiftRequest.Answer.no)
        try anna.send("ja 1")
        #expect(intake.lifts[1]?.answer == .yes)
        #expect(intake.posts.count == 1)
        try anna.send("ja 7")  // no question about idea 7: an ordinary message
        #expect(anna.savedIdeas.first?.problem == "ja 7")
    }

    @Test func aReplyFromACoordinatorWhoWasForgottenIsNotSentToThePseudonym() throws {
        let intake = Self.intake()
        Self.submitted(intake)
        intake.lifts[1] = LiftRequest(ideaNumber: 1, askedBy: "anonym-0badc0de", askedAt: start)
        var anna = try Harness(Self.anna, config: Self.config, intake: intake)
        try anna.send("ja 1")
        #expect(intake.lifts[1]?.answer == .yes)
        #expect(intake.notices.allSatisfy { $0.0 != "anonym-0badc0de" })
    }

    @Test func noSharedRoomNoLift() throws {
        var config = Self.config
        config.sharedRoom = false
        let intake = Self.intake()
        Self.submitted(intake)
        var ia = try Harness(Self.ia, config: config, intake: intake)
        try ia.send("lyft 1")
        #expect(ia.replies == [ia.text(.liftNoSharedRoom)])
        try ia.send("lyft 7")
        #expect(ia.replies == [ia.text(.pipelineNotYours, [.number: "7"])])
    }

    @Test func aForgottenIdeaGiverCannotBeAsked() throws {
        let intake = Self.intake()
        Self.submitted(intake, by: "anonym-1a2b3c4d")
        var ia = try Harness(Self.ia, config: Self.config, intake: intake)
        try ia.send("lyft 1")
        #expect(ia.replies == [ia.text(.liftUnreachable, [.number: "1"])])
        #expect(intake.lifts.isEmpty)
    }

    @Test func hostileTitlesStayText() throws {
        let intake = Self.intake()
        var ia = try Harness(Self.ia, config: Self.config, intake: intake)
        try ia.send("utmaning ny <b>@room</b> [klick](http://evil) | Fråga **här**? | 2025-10-24")
        let announcement = try #require(intake.announcements.first?.2)
        #expect(!announcement.html.contains("<b>"))
        #expect(announcement.html.contains("&lt;b&gt;@room&lt;/b&gt;"))
        #expect(!announcement.markdown.contains("[klick](http"))
        #expect(!announcement.markdown.contains("@room"))
    }
}
