public import Intake

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
    case commandNotAvailable = "command.not_available"

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
    case terminalIntro = "terminal.intro"  // {database}

    // Personal data (the bot layer's scanner, DESIGN.md §6)
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

    /// The display name key of a stage.
    public static func stage(_ stage: IdeaStage) -> PromptKey {
        switch stage {
        case .utkast: .stageUtkast
        case .inkommen: .stageInkommen
        case .bedoms: .stageBedoms
        case .utvecklas: .stageUtvecklas
        case .testas: .stageTestas
        case .realiserad: .stageRealiserad
        case .parkerad: .stageParkerad
        case .avslutad: .stageAvslutad
        }
    }
}
