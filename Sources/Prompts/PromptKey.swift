/// Every prompt key the code uses. A test checks that each one exists in both `prompts/sv.yaml` and
/// `prompts/en.yaml` with the same placeholders; use these instead of string literals.
public enum PromptKey: String, CaseIterable, Sendable {
    // First contact and help
    case greeting = "greeting"
    case publicRecords = "public_records"
    case help = "help"

    // Odd input
    case emptyMessage = "input.empty"
    case tooLong = "input.too_long"  // {limit}
    case newIdeaEmpty = "input.idea_empty"

    // Capture
    case draftSaved = "draft.saved"  // {number}
    case draftParked = "draft.parked"  // {number}
    case draftNone = "draft.none"
    case draftResumed = "draft.resumed"  // {number}
    case draftNotResumable = "draft.not_resumable"  // {number}
    case questionBenefits = "question.benefits"
    case questionBenefitsInvalid = "question.benefits_invalid"
    case questionSolution = "question.solution"
    case questionChallenge = "question.challenge"
    case questionChallengeInvalid = "question.challenge_invalid"
    case questionProblem = "question.problem"
    case listLine = "list.line"  // {index} {text}
    case listHint = "list.hint"

    // Who benefits
    case benefitsResidents = "benefits.residents"
    case benefitsColleagues = "benefits.colleagues"
    case benefitsBusinesses = "benefits.businesses"
    case benefitsOther = "benefits.other"

    // Summary card
    case summaryTitle = "summary.title"  // {number}
    case summaryProblem = "summary.problem"  // {text}
    case summaryBenefits = "summary.benefits"  // {text}
    case summarySolution = "summary.solution"  // {text}
    case summaryChallenge = "summary.challenge"  // {text}
    case summaryEmpty = "summary.empty"
    case summaryActions = "summary.actions"
    case reviewHint = "review.hint"  // {number}

    // Editing
    case editInvalid = "edit.invalid"  // {max}
    case undoNothing = "undo.nothing"
    case undoDone = "undo.done"
    case skipNothing = "skip.nothing"
    case cancelDone = "cancel.done"  // {number}
    case cancelNothing = "cancel.nothing"

    // Submit
    case submitNothing = "submit.nothing"
    case unitQuestion = "unit.question"
    case unitInvalid = "unit.invalid"
    case submitThanks = "submit.thanks"  // {number} — variants
    case submitNextUnit = "submit.next_unit"  // {unit}
    case submitNextNoUnit = "submit.next_no_unit"

    // Ideas
    case myIdeasTitle = "my_ideas.title"  // {count}
    case myIdeasLine = "my_ideas.line"  // {number} {title} {stage}
    case myIdeasMore = "my_ideas.more"  // {count}
    case myIdeasNone = "my_ideas.none"
    case myIdeasHint = "my_ideas.hint"
    case ideaNotFound = "idea.not_found"  // {number}
    case ideaTitle = "idea.title"  // {number} {title}
    case ideaStage = "idea.stage"  // {text}
    case ideaProblem = "idea.problem"  // {text}
    case ideaBenefits = "idea.benefits"  // {text}
    case ideaSolution = "idea.solution"  // {text}
    case ideaChallenge = "idea.challenge"  // {text}
    case ideaUnit = "idea.unit"  // {text}
    case ideaResumeHint = "idea.resume_hint"  // {number}

    // Language
    case languageSet = "language.set"
    case languageUnknown = "language.unknown"

    // Commands that other layers implement

    // Personal-data rights (SkavBot.docc/Privacy.md)
    case myDataIntro = "my_data.intro"  // {count}
    case myDataFile = "my_data.file"
    case forgetConfirm = "forget.confirm"  // {drafts} {ideas}
    case forgetDone = "forget.done"  // {drafts} {ideas}
    case forgetCancelled = "forget.cancelled"

    // Stage display names
    case stageUtkast = "stage.utkast"
    case stageInkommen = "stage.inkommen"
    case stageBedoms = "stage.bedoms"
    case stageUtvecklas = "stage.utvecklas"
    case stageTestas = "stage.testas"
    case stageRealiserad = "stage.realiserad"
    case stageParkerad = "stage.parkerad"
    case stageAvslutad = "stage.avslutad"

    // For the bot layer
    case botEncryptedRoom = "bot.encrypted_room"
    case botNotDirect = "bot.not_direct"
    case botTooLong = "bot.too_long"  // {limit}
    case botInternalError = "bot.internal_error"
    case botNotAllowed = "bot.not_allowed"
    case botRateLimited = "bot.rate_limited"
    case botDirectOpened = "bot.direct_opened"
    case botQuarantined = "bot.quarantined"
    case botRoomShared = "bot.room_shared"
    case terminalIntro = "terminal.intro"  // {database}
    case terminalToOther = "terminal.to_other"  // {user}

    // Personal data (the bot layer's scanner, SkavBot.docc/Privacy.md)
    case privacyMasked = "privacy.masked"  // {kinds}
    case privacyAnd = "privacy.and"
    case privacyPersonnummer = "privacy.kind.personnummer"
    case privacyPersonnummerMany = "privacy.kind.personnummer_many"  // {count}
    case privacySamordningsnummer = "privacy.kind.samordningsnummer"
    case privacySamordningsnummerMany = "privacy.kind.samordningsnummer_many"  // {count}
    case privacyPhone = "privacy.kind.phone"
    case privacyPhoneMany = "privacy.kind.phone_many"  // {count}
    case privacyEmail = "privacy.kind.email"
    case privacyEmailMany = "privacy.kind.email_many"  // {count}
    case privacyClientCase = "privacy.client_case"
    // The idea intake: guides and coordinators
    case pipelineHelpStaff = "pipeline.help_staff"
    case pipelineStaffOnly = "pipeline.staff_only"
    case pipelineCoordinatorOnly = "pipeline.coordinator_only"
    case pipelineNotYours = "pipeline.not_yours"  // {number}
    case pipelineInboxTitle = "pipeline.inbox_title"  // {count}
    case pipelineInboxLine = "pipeline.inbox_line"  // {number} {title} {stage} {unit} {days} {guide}
    case pipelineInboxMore = "pipeline.inbox_more"  // {count}
    case pipelineInboxEmpty = "pipeline.inbox_empty"
    case pipelineInboxHint = "pipeline.inbox_hint"
    case pipelineNobody = "pipeline.nobody"
    case pipelineNoUnit = "pipeline.no_unit"
    case pipelineClaimed = "pipeline.claimed"  // {number} {title}
    case pipelineClaimAlready = "pipeline.claim_already"  // {number}
    case pipelineStageUnknown = "pipeline.stage_unknown"  // {stage}
    case pipelineStageUsage = "pipeline.stage_usage"
    case pipelineStageUnchanged = "pipeline.stage_unchanged"  // {number} {stage}
    case pipelineStageNotAllowed = "pipeline.stage_not_allowed"  // {number} {from} {targets}
    case pipelineStageEnd = "pipeline.stage_end"  // {number} {from}
    case pipelineStageLessonRequired = "pipeline.stage_lesson_required"  // {number}
    case pipelineStageDone = "pipeline.stage_done"  // {number} {stage}
    case pipelineRelayEmpty = "pipeline.relay_empty"  // {number}
    case pipelineRelaySent = "pipeline.relay_sent"  // {number}
    case pipelineRelaySentToGuide = "pipeline.relay_sent_to_guide"  // {number}
    case pipelineRelayNobody = "pipeline.relay_nobody"  // {number}
    case pipelineLinkSame = "pipeline.link_same"
    case pipelineLinkAlready = "pipeline.link_already"  // {first} {second}
    case pipelineLinked = "pipeline.linked"  // {first} {second}
    case pipelinePraiseSent = "pipeline.praise_sent"  // {number}
    case pipelineSimilarTitle = "pipeline.similar_title"
    case pipelineSimilarTitleStaff = "pipeline.similar_title_staff"
    case pipelineSimilarLine = "pipeline.similar_line"  // {number} {title} {stage}
    case pipelineDetailAuthor = "pipeline.detail_author"  // {user}
    case pipelineDetailGuide = "pipeline.detail_guide"  // {user}
    case pipelineDetailAge = "pipeline.detail_age"  // {days}
    case pipelineDetailLinks = "pipeline.detail_links"  // {numbers}
    case pipelineDetailHint = "pipeline.detail_hint"  // {number}
    case pipelineStatsTitle = "pipeline.stats_title"  // {count}
    case pipelineStatsByStage = "pipeline.stats_by_stage"
    case pipelineStatsByUnit = "pipeline.stats_by_unit"
    case pipelineStatsByChallenge = "pipeline.stats_by_challenge"
    case pipelineStatsLine = "pipeline.stats_line"  // {name} {count}
    case pipelineStatsNoChallenge = "pipeline.stats_no_challenge"
    case pipelineSimilarHidden = "pipeline.similar_hidden"  // {count}
    case pipelineSimilarHiddenStaff = "pipeline.similar_hidden_staff"  // {count}

    // Idea challenges, good examples and the digest on demand (SkavBot.docc/Intake.md, Digests.md)
    case challengeUpdatesOn = "challenge.updates_on"
    case challengeUpdatesOff = "challenge.updates_off"
    case challengeUpdatesAreOn = "challenge.updates_are_on"
    case challengeUpdatesAreOff = "challenge.updates_are_off"
    case challengeCoordinatorOnly = "challenge.coordinator_only"
    case challengeCloseUsage = "challenge.close_usage"
    case challengeNoneRunning = "challenge.none_running"
    case challengeListTitle = "challenge.list_title"  // {count}
    case challengeListLine = "challenge.list_line"  // {challenge} {title} {deadline}
    case challengeListHint = "challenge.list_hint"
    case challengeNotFound = "challenge.not_found"  // {challenge}
    case challengeNotRunning = "challenge.not_running"  // {challenge} {title}
    case challengeCardTitle = "challenge.card_title"  // {challenge} {title}
    case challengeCardQuestion = "challenge.card_question"  // {question}
    case challengeCardDeadline = "challenge.card_deadline"  // {deadline}
    case challengeCardHint = "challenge.card_hint"  // {challenge}
    case challengeNewUsage = "challenge.new_usage"
    case challengeTitleTooLong = "challenge.title_too_long"  // {limit}
    case challengeDeadlineInvalid = "challenge.deadline_invalid"  // {text}
    case challengeDeadlinePassed = "challenge.deadline_passed"  // {deadline}
    case challengeAnnouncement = "challenge.announcement"  // {challenge} {title} {question} {deadline}
    case challengeAnnouncementDirect = "challenge.announcement_direct"  // {challenge} {title} {question} {deadline}
    case challengeOpened = "challenge.opened"  // {challenge} {title} {question} {deadline}
    case challengeOpenedShared = "challenge.opened_shared"
    case challengeOpenedNoShared = "challenge.opened_no_shared"
    case challengeOpenedFollowers = "challenge.opened_followers"  // {count}
    case challengeAlreadyClosed = "challenge.already_closed"  // {challenge}
    case challengeClosedToRoom = "challenge.closed_to_room"  // {challenge} {title} {count}
    case challengeClosedToCoordinators = "challenge.closed_to_coordinators"  // {challenge} {title} {count}
    case challengeClosedThanks = "challenge.closed_thanks"  // {challenge} {title}
    case challengeSummaryTitle = "challenge.summary_title"  // {challenge} {title}
    case challengeSummaryPeriod = "challenge.summary_period"  // {opened} {deadline}
    case challengeSummaryCount = "challenge.summary_count"  // {count} {people}
    case challengeSummaryStages = "challenge.summary_stages"  // {stages}
    case challengeSummaryIdeas = "challenge.summary_ideas"
    case challengeSummaryLine = "challenge.summary_line"  // {number} {title} {unit} {stage}
    case challengeDraftSaved = "challenge.draft_saved"  // {number} {title}
    case digestSentToRoom = "digest_now.sent_to_room"
    case digestComing = "digest_now.coming"
    case liftNoSharedRoom = "lift.no_shared_room"
    case liftUnreachable = "lift.unreachable"  // {number}
    case liftPending = "lift.pending"  // {number}
    case liftAlready = "lift.already"  // {number}
    case liftDeclinedBefore = "lift.declined_before"  // {number}
    case liftAskedSelf = "lift.asked_self"  // {number}
    case liftAsked = "lift.asked"  // {number} {title}
    case liftQuestion = "lift.question"  // {number} {title}
    case liftWhich = "lift.which"  // {numbers}
    case liftThanksNamed = "lift.thanks_named"  // {number} {title}
    case liftThanksAnonymous = "lift.thanks_anonymous"  // {number} {title}
    case liftThanksNo = "lift.thanks_no"  // {number} {title}
    case liftConsented = "lift.consented"  // {number} {title}
    case liftRefused = "lift.refused"  // {number} {title}
    case liftExampleTitle = "lift.example_title"  // {number} {title}
    case liftExampleProblem = "lift.example_problem"  // {text}
    case liftExampleSolution = "lift.example_solution"  // {text}
    case liftExampleStage = "lift.example_stage"  // {stage}
    case liftExampleThanksNamed = "lift.example_thanks_named"  // {user}
    case liftExampleThanksAnonymous = "lift.example_thanks_anonymous"

    // Notices to other people than the writer
    case noticeNewIdea = "notice.new_idea"  // {unit} {number} {title}
    case noticeClaimed = "notice.claimed"  // {number} {title}
    case noticeStageInkommen = "notice.stage.inkommen"  // {number} {title}
    case noticeStageBedoms = "notice.stage.bedoms"  // {number} {title}
    case noticeStageUtvecklas = "notice.stage.utvecklas"  // {number} {title}
    case noticeStageTestas = "notice.stage.testas"  // {number} {title}
    case noticeStageRealiserad = "notice.stage.realiserad"  // {number} {title}
    case noticeStageParkerad = "notice.stage.parkerad"  // {number} {title}
    case noticeStageAvslutad = "notice.stage.avslutad"  // {number} {title} {lesson}
    case noticeComment = "notice.comment"  // {comment}
    case noticeFromGuide = "notice.from_guide"  // {number} {title} {text}
    case noticeFromGiver = "notice.from_giver"  // {number} {title} {text}
    case noticePraise = "notice.praise"  // {number} {title} — variants
    case noticePraiseText = "notice.praise_text"  // {text}
    case noticeLinked = "notice.linked"  // {number} {other} {title}

    // Nudges (SkavBot.docc/Nudges.md): the scheduler's messages
    case nudgeDraftReminder = "nudge.draft_reminder"  // {number} {title} {stage} {unit}
    case nudgeDraftPark = "nudge.draft_park"  // {number} {title} {stage} {unit}
    case nudgeGuideFollowup = "nudge.guide_followup"  // {number} {title} {stage} {unit}
    case nudgeGuideEscalation = "nudge.guide_escalation"  // {number} {title} {stage} {unit}
    case nudgeStaleStage = "nudge.stale_stage"  // {number} {title} {stage} {unit}
    case nudgeWeeklyCheckin = "nudge.weekly_checkin"  // — variants
    case nudgeChallengeHalfway = "nudge.challenge_halfway"  // {challenge} {title} {question} {deadline}
    case nudgeChallengeDeadline = "nudge.challenge_deadline"  // {challenge} {title} {question} {deadline}

    // Personal controls
    case remindersOff = "reminders.off"
    case remindersOn = "reminders.on"
    case remindersPaused = "reminders.paused"  // {days}
    case remindersPauseInvalid = "reminders.pause_invalid"
    case weeklyOn = "weekly.on"
    case weeklyOff = "weekly.off"

    // Praise milestones
    case praiseFirstIdea = "praise.first_idea"
    case praiseIdeaCount = "praise.idea_count"  // {count}
    case praiseFirstTestas = "praise.first_testas"
    case praiseFirstRealiserad = "praise.first_realiserad"

    // Digest (SkavBot.docc/Digests.md)
    case digestTitle = "digest.title"  // {from} {to}
    case digestCalm = "digest.calm"
    case digestContinued = "digest.continued"
    case digestNoUnit = "digest.no_unit"
    case digestNoGuide = "digest.no_guide"
    case digestDays = "digest.days"  // {count}
    case digestDaysOne = "digest.days_one"
    case digestNewTitle = "digest.new.title"  // {count}
    case digestNewLine = "digest.new.line"  // {number} {title} {unit}
    case digestNewChallenge = "digest.new.challenge"  // {challenge}
    case digestNewBenefits = "digest.new.benefits"  // {benefits}
    case digestFunnelTitle = "digest.funnel.title"  // {count}
    case digestFunnelItem = "digest.funnel.item"  // {stage} {count}
    case digestFunnelSeparator = "digest.funnel.separator"
    case digestOverdueTitle = "digest.overdue.title"  // {count}
    case digestOverdueFollowup = "digest.overdue.followup"  // {number} {title} {unit} {days} {guide}
    case digestOverdueEscalated = "digest.overdue.escalated"  // {number} {title} {unit} {days} {guide}
    case digestOverdueStale = "digest.overdue.stale"  // {number} {title} {unit} {stage} {days} {guide}
    case digestChangesTitle = "digest.changes.title"  // {count}
    case digestChangesLine = "digest.changes.line"  // {number} {title} {from} {to}
    case digestChangesLineTo = "digest.changes.line_to"  // {number} {title} {to}
    case digestClustersTitle = "digest.clusters.title"  // {count}
    case digestClustersFirst = "digest.clusters.first"  // {number} {title} {unit}
    case digestClustersMore = "digest.clusters.more"  // {number} {title} {unit}
    case digestClustersHint = "digest.clusters.hint"  // {first} {second}
    case digestChallengesTitle = "digest.challenges.title"  // {count}
    case digestChallengesLine = "digest.challenges.line"  // {number} {title} {deadline} {total} {new}
    case digestChallengesPassed = "digest.challenges.passed"  // {number}
    case digestThanks = "digest.thanks"
    case digestMore = "digest.more"  // {count}
    case digestMoreInFile = "digest.more_in_file"  // {count}
    case digestByUnit = "digest.by_unit"  // {counts}
    case digestByStage = "digest.by_stage"  // {counts}
    case digestCountItem = "digest.count_item"  // {name} {count}
    case digestCountOthers = "digest.count_others"  // {count}
    case digestOverdueSummary = "digest.overdue.summary"  // {followup} {escalated} {stale}
    case digestFileCaption = "digest.file_caption"  // {from} {to}
    case digestGuideTitle = "digest.guide.title"  // {from} {to}
    case digestGuideOverdueTitle = "digest.guide.overdue_title"  // {count}
    case digestGuideWaitingTitle = "digest.guide.waiting_title"  // {count}
    case digestGuideAssignedTitle = "digest.guide.assigned_title"  // {count}
    case digestGuideLine = "digest.guide.line"  // {number} {title} {stage} {unit}
    case digestGuideMore = "digest.guide.more"  // {count}
}
