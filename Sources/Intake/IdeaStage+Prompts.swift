public import Prompts

/// Where a stage's texts are found in the prompts (the stage's raw value is its stable id; its names are texts).
extension PromptKey {
    /// The key of the notice an idea-giver gets when their idea moves to `stage`.
    public static func stageNotice(_ stage: IdeaStage) -> PromptKey {
        switch stage {
        case .utkast, .inkommen: .noticeStageInkommen
        case .bedoms: .noticeStageBedoms
        case .utvecklas: .noticeStageUtvecklas
        case .testas: .noticeStageTestas
        case .realiserad: .noticeStageRealiserad
        case .parkerad: .noticeStageParkerad
        case .avslutad: .noticeStageAvslutad
        }
    }

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

/// Who benefits, as a choice (`Idea.benefits` holds the raw value, or the idea-giver's own words).
public enum BenefitChoice: String, CaseIterable, Sendable {
    case residents, colleagues, businesses, other
}

extension PromptKey {
    /// The display name key of a benefit choice.
    public static func benefit(_ choice: BenefitChoice) -> PromptKey {
        switch choice {
        case .residents: .benefitsResidents
        case .colleagues: .benefitsColleagues
        case .businesses: .benefitsBusinesses
        case .other: .benefitsOther
        }
    }
}
