import Chat
import Foundation
import Intake
import Testing
import Prompts

@testable import Conversation

/// Similar ideas name only ideas the reader may see (issue 11.8): an idea's details, its title included,
/// are for its idea-giver, the guides of its unit and coordinators; ideas shown as good examples with
/// consent (`lyft`) are public. The rest is a count.
@Suite struct SimilarVisibilityTests {
    typealias P = PipelineTests
    static let cecilia: UserID = "@cecilia:kommun.se"

    /// PipelineTests' ideas, plus three close to #1 (Anna's, Socialförvaltningen): #5 in Skol- och
    /// fritidsförvaltningen, #6 in Vård och omsorg shown as a good example, #7 in Socialförvaltningen.
    static func seeded() -> FakeIntake {
        let intake = P.seeded()
        func idea(_ n: Int, _ author: UserID, _ unit: String, _ text: String) -> Idea {
            Idea(
                number: n, author: author, title: deriveTitle(from: text), problem: text, unit: unit, stage: .bedoms,
                createdAt: start, updatedAt: start, submittedAt: start)
        }
        intake.apply([
            .saveIdea(idea(5, P.bertil, "Skol- och fritidsförvaltningen", "Hemlig skoltitel: tolk till hembesök tar lång tid att boka.")),
            .saveIdea(idea(6, cecilia, "Vård och omsorg", "Exempeltitel: boka tolk till hembesök tar för lång tid.")),
            .saveIdea(idea(7, P.bertil, "Socialförvaltningen", "Socialtitel: tolk till hembesök är svår att boka i tid.")),
            .saveLift(LiftRequest(ideaNumber: 6, askedBy: P.ia, askedAt: start, answer: .yes, answeredAt: start)),
        ])
        return intake
    }

    @Test func aGuideSeesSimilarIdeasOfTheirOwnUnitsAndGoodExamplesOnly() throws {
        let details = try P.run(P.karin, "idé 1", intake: Self.seeded())
        #expect(details.text.contains(P.text(.pipelineSimilarTitleStaff)))
        #expect(details.text.contains("#7 Socialtitel"))
        #expect(details.text.contains("#6 Exempeltitel"), "a good example is public")
        #expect(!details.text.contains("Hemlig skoltitel") && !details.text.contains("#5"), "\(details.text)")
        #expect(details.text.contains(P.text(.pipelineSimilarHiddenStaff, [.count: "1"])))
        // Olle (Skol- och fritidsförvaltningen) on #5: #1 and #7 are Socialförvaltningen's.
        let olle = try P.run(P.olle, "idé 5", intake: Self.seeded())
        #expect(!olle.text.contains("#1 ") && !olle.text.contains("#7 ") && !olle.text.contains("Socialtitel"), "\(olle.text)")
        #expect(olle.text.contains("#6 Exempeltitel"))
        #expect(olle.text.contains(P.text(.pipelineSimilarHiddenStaff, [.count: "2"])))
    }

    @Test func aCoordinatorSeesAllSimilarIdeas() throws {
        let details = try P.run(P.ia, "idé 1", intake: Self.seeded())
        for title in ["#5 Hemlig skoltitel", "#6 Exempeltitel", "#7 Socialtitel"] {
            #expect(details.text.contains(title), "\(title) in \(details.text)")
        }
        #expect(!details.text.contains(P.text(.pipelineSimilarHiddenStaff, [.count: "1"]).prefix(20)))
    }

    @Test func anIdeaGiverHearsOnlyOwnIdeasAndGoodExamplesByTitleTheRestAsACount() throws {
        let intake = Self.seeded()
        let sara = try P.submit("@sara:kommun.se", "Att boka tolk till hembesök tar alldeles för lång tid.", intake: intake)
        #expect(sara.text.contains(P.text(.pipelineSimilarTitle)))
        #expect(sara.text.contains("#6 Exempeltitel"))
        for secret in ["Hemlig skoltitel", "Socialtitel", "Det tar för lång tid att boka tolk", "#1 ", "#5 ", "#7 "] {
            #expect(!sara.text.contains(secret), "\(secret) in \(sara.text)")
        }
        #expect(sara.text.contains(P.text(.pipelineSimilarHidden, [.count: "3"])))

        // Her own earlier idea is hers to see: Anna is told about #1 by title.
        let anna = try P.submit(P.anna, "Tolkbokning till hembesök tar lång tid, igen.", intake: intake)
        #expect(anna.text.contains("#1 Det tar för lång tid att boka tolk till hembesök"))
        #expect(!anna.text.contains("Hemlig skoltitel") && !anna.text.contains("Socialtitel"))

        // With no good example, only the count: no empty list under a title.
        let plain = P.seeded()
        let bo = try P.submit("@bo:kommun.se", "Tolkbokningen är så långsam att hembesöken blir försenade.", intake: plain)
        #expect(!bo.text.contains(P.text(.pipelineSimilarTitle)))
        #expect(bo.text.contains(P.text(.pipelineSimilarHidden, [.count: "1"])))
    }
}
