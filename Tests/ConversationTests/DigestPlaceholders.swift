import Conversation
import Prompts

extension CatalogTests {
    /// The placeholders the digest (`Sources/Digest`) fills in; merged into `expectedPlaceholders`.
    static let digestPlaceholders: [PromptKey: Set<String>] = [
        .digestTitle: ["from", "to"], .digestDays: ["count"],
        .digestMore: ["count"], .digestMoreInFile: ["count"], .digestByUnit: ["counts"], .digestByStage: ["counts"],
        .digestCountItem: ["name", "count"], .digestCountOthers: ["count"],
        .digestOverdueSummary: ["followup", "escalated", "stale"], .digestFileCaption: ["from", "to"],
        .digestNewTitle: ["count"], .digestNewLine: ["number", "title", "unit"],
        .digestNewChallenge: ["challenge"], .digestNewBenefits: ["benefits"],
        .digestFunnelTitle: ["count"], .digestFunnelItem: ["stage", "count"],
        .digestOverdueTitle: ["count"],
        .digestOverdueFollowup: ["number", "title", "unit", "days", "guide"],
        .digestOverdueEscalated: ["number", "title", "unit", "days", "guide"],
        .digestOverdueStale: ["number", "title", "unit", "stage", "days", "guide"],
        .digestChangesTitle: ["count"], .digestChangesLine: ["number", "title", "from", "to"],
        .digestChangesLineTo: ["number", "title", "to"],
        .digestClustersTitle: ["count"], .digestClustersFirst: ["number", "title", "unit"],
        .digestClustersMore: ["number", "title", "unit"], .digestClustersHint: ["first", "second"],
        .digestChallengesTitle: ["count"],
        .digestChallengesLine: ["number", "title", "deadline", "total", "new"],
        .digestChallengesPassed: ["number"],
        .digestGuideTitle: ["from", "to"], .digestGuideOverdueTitle: ["count"],
        .digestGuideWaitingTitle: ["count"], .digestGuideAssignedTitle: ["count"],
        .digestGuideLine: ["number", "title", "stage", "unit"], .digestGuideMore: ["count"],
    ]
}
