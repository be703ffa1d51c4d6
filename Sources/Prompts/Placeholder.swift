/// A `{name}` in a prompt's template. The values a text takes are typed: each key says which placeholders its
/// texts use (`PromptKey.placeholders`), the catalog checks the files against that when it loads them, and
/// callers pass `[Placeholder: String]`.
public enum Placeholder: String, CaseIterable, Sendable {
    case benefits
    case challenge
    case comment
    case count
    case counts
    case database
    case days
    case deadline
    case drafts
    case escalated
    case first
    case followup
    case from
    case guide
    case ideas
    case index
    case kinds
    case lesson
    case limit
    case max
    case name
    case new
    case number
    case numbers
    case opened
    case other
    case people
    case question
    case second
    case stage
    case stages
    case stale
    case targets
    case text
    case title
    case to
    case total
    case unit
    case user
}

extension PromptKey {
    /// The placeholders the key's texts use, in every language and variant.
    public var placeholders: Set<Placeholder> {
        switch self {
        case .digestNewBenefits:
            [.benefits]
        case .challengeNotFound, .challengeCardHint, .challengeAlreadyClosed, .digestNewChallenge:
            [.challenge]
        case .noticeComment:
            [.comment]
        case .myIdeasTitle, .myIdeasMore, .myDataIntro, .privacyPersonnummerMany, .privacySamordningsnummerMany,
            .privacyPhoneMany, .privacyEmailMany, .pipelineInboxTitle, .pipelineInboxMore, .pipelineStatsTitle,
            .pipelineSimilarHidden, .pipelineSimilarHiddenStaff, .challengeListTitle, .challengeOpenedFollowers,
            .praiseIdeaCount, .digestDays, .digestNewTitle, .digestFunnelTitle, .digestOverdueTitle,
            .digestChangesTitle, .digestClustersTitle, .digestChallengesTitle, .digestMore, .digestMoreInFile,
            .digestCountOthers, .digestGuideOverdueTitle, .digestGuideWaitingTitle, .digestGuideAssignedTitle,
            .digestGuideMore:
            [.count]
        case .digestByUnit, .digestByStage:
            [.counts]
        case .terminalIntro:
            [.database]
        case .pipelineDetailAge, .remindersPaused:
            [.days]
        case .challengeCardDeadline, .challengeDeadlinePassed:
            [.deadline]
        case .privacyMasked:
            [.kinds]
        case .tooLong, .botTooLong, .challengeTitleTooLong:
            [.limit]
        case .editInvalid:
            [.max]
        case .draftSaved, .draftParked, .draftResumed, .draftNotResumable, .summaryTitle, .reviewHint, .cancelDone,
            .submitThanks, .ideaNotFound, .ideaResumeHint, .pipelineNotYours, .pipelineClaimAlready,
            .pipelineStageLessonRequired, .pipelineRelayEmpty, .pipelineRelaySent, .pipelineRelaySentToGuide,
            .pipelineRelayNobody, .pipelinePraiseSent, .pipelineDetailHint, .liftUnreachable, .liftPending,
            .liftAlready, .liftDeclinedBefore, .liftAskedSelf, .liftThanksNamed, .liftThanksAnonymous, .liftThanksNo,
            .digestChallengesPassed:
            [.number]
        case .pipelineDetailLinks, .liftWhich:
            [.numbers]
        case .challengeCardQuestion:
            [.question]
        case .pipelineStageUnknown, .liftExampleStage:
            [.stage]
        case .challengeSummaryStages:
            [.stages]
        case .summaryProblem, .summaryBenefits, .summarySolution, .summaryChallenge, .ideaStage, .ideaProblem,
            .ideaBenefits, .ideaSolution, .ideaChallenge, .ideaUnit, .challengeDeadlineInvalid, .liftExampleProblem,
            .liftExampleSolution, .noticePraiseText:
            [.text]
        case .challengeClosedThanks:
            [.title]
        case .submitNextUnit:
            [.unit]
        case .terminalToOther, .pipelineDetailAuthor, .pipelineDetailGuide, .liftExampleThanksNamed:
            [.user]
        case .challengeNotRunning, .challengeCardTitle, .challengeSummaryTitle:
            [.challenge, .title]
        case .pipelineStatsLine, .digestCountItem:
            [.count, .name]
        case .challengeSummaryCount:
            [.count, .people]
        case .digestFunnelItem:
            [.count, .stage]
        case .challengeSummaryPeriod:
            [.deadline, .opened]
        case .forgetConfirm, .forgetDone:
            [.drafts, .ideas]
        case .pipelineLinkAlready, .pipelineLinked, .digestClustersHint:
            [.first, .second]
        case .pipelineStageEnd:
            [.from, .number]
        case .digestTitle, .digestFileCaption, .digestGuideTitle:
            [.from, .to]
        case .listLine:
            [.index, .text]
        case .pipelineStageUnchanged, .pipelineStageDone:
            [.number, .stage]
        case .ideaTitle, .pipelineClaimed, .challengeDraftSaved, .liftAsked, .liftQuestion, .liftConsented,
            .liftRefused, .liftExampleTitle, .noticeClaimed, .noticeStageInkommen, .noticeStageBedoms,
            .noticeStageUtvecklas, .noticeStageTestas, .noticeStageRealiserad, .noticeStageParkerad, .noticePraise,
            .nudgeDraftReminder, .nudgeDraftPark:
            [.number, .title]
        case .challengeClosedToRoom, .challengeClosedToCoordinators:
            [.challenge, .count, .title]
        case .challengeListLine, .challengeOpened:
            [.challenge, .deadline, .title]
        case .digestOverdueSummary:
            [.escalated, .followup, .stale]
        case .pipelineStageNotAllowed:
            [.from, .number, .targets]
        case .noticeStageAvslutad:
            [.lesson, .number, .title]
        case .noticeLinked:
            [.number, .other, .title]
        case .myIdeasLine, .pipelineSimilarLine, .nudgeStaleStage:
            [.number, .stage, .title]
        case .noticeFromGuide, .noticeFromGiver:
            [.number, .text, .title]
        case .digestChangesLineTo:
            [.number, .title, .to]
        case .noticeNewIdea, .nudgeGuideFollowup, .nudgeGuideEscalation, .digestNewLine, .digestClustersFirst,
            .digestClustersMore:
            [.number, .title, .unit]
        case .challengeAnnouncement, .challengeAnnouncementDirect, .nudgeChallengeHalfway, .nudgeChallengeDeadline:
            [.challenge, .deadline, .question, .title]
        case .digestChangesLine:
            [.from, .number, .title, .to]
        case .challengeSummaryLine, .digestGuideLine:
            [.number, .stage, .title, .unit]
        case .digestOverdueFollowup, .digestOverdueEscalated:
            [.days, .guide, .number, .title, .unit]
        case .digestChallengesLine:
            [.deadline, .new, .number, .title, .total]
        case .pipelineInboxLine, .digestOverdueStale:
            [.days, .guide, .number, .stage, .title, .unit]
        default:
            []
        }
    }
}
