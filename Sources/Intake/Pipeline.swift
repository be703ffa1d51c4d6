import Chat
import Foundation

/// Who may do what with ideas (SkavBot.docc/Intake.md, Privacy.md). Roles come from the config only, never from chat.
public struct Roles: Sendable, Equatable {
    /// A guide (idécoach) and the units (förvaltningar) they follow up.
    public struct Guide: Sendable, Equatable {
        public var user: UserID
        public var units: [String]
        public init(user: UserID, units: [String]) {
            self.user = user
            self.units = units
        }
    }

    public var coordinators: [UserID]
    public var guides: [Guide]

    public init(coordinators: [UserID] = [], guides: [Guide] = []) {
        self.coordinators = coordinators
        self.guides = guides
    }

    public static let none = Roles()

    public func isCoordinator(_ user: UserID) -> Bool { coordinators.contains(user) }

    /// The units `user` is a guide of (empty for everyone else).
    public func units(guidedBy user: UserID) -> [String] {
        guides.filter { $0.user == user }.flatMap(\.units)
    }

    /// A guide or a coordinator.
    public func isStaff(_ user: UserID) -> Bool { isCoordinator(user) || !units(guidedBy: user).isEmpty }

    /// Whether `user` follows up the idea: a coordinator, or a guide of its unit.
    public func canManage(_ idea: Idea, by user: UserID) -> Bool {
        if isCoordinator(user) { return true }
        guard let unit = idea.unit else { return false }
        return units(guidedBy: user).contains(unit)
    }

    /// Whether `user` may see the idea's details: its idea-giver, the guides of its unit and coordinators.
    public func canSee(_ idea: Idea, by user: UserID) -> Bool {
        idea.author == user || canManage(idea, by: user)
    }

    /// The guides of a unit, in config order, without repeats.
    public func guides(of unit: String?) -> [UserID] {
        guard let unit else { return [] }
        var seen: Set<UserID> = []
        return guides.filter { $0.units.contains(unit) }.map(\.user).filter { seen.insert($0).inserted }
    }

    /// Who hears about a newly submitted idea: the guides of its unit, or the coordinators when it has none.
    public func recipients(for idea: Idea) -> [UserID] {
        let guides = guides(of: idea.unit)
        return guides.isEmpty ? coordinators : guides
    }

    /// Who an idea-giver's answer goes to: the assigned guide, else the unit's guides, else the coordinators.
    public func contacts(for idea: Idea) -> [UserID] {
        if let guide = idea.guide { return [guide] }
        return recipients(for: idea)
    }
}

/// The allowed moves between stages (SkavBot.docc/Intake.md): inkommen → bedöms → utvecklas → testas → realiserad;
/// from any open stage to parkerad or avslutad; parkerad back to bedöms. Closing needs a lesson text.
public enum StageRules {
    public enum Refusal: Error, Sendable, Equatable {
        /// The idea is already in that stage.
        case unchanged
        /// The move is not one of the allowed ones.
        case notAllowed
        /// `avslutad` without a lesson/reason text.
        case lessonRequired
    }

    /// The stages an idea in `stage` may move to.
    public static func targets(from stage: IdeaStage) -> [IdeaStage] {
        switch stage {
        case .utkast, .realiserad, .avslutad: []
        case .inkommen: [.bedoms, .parkerad, .avslutad]
        case .bedoms: [.utvecklas, .parkerad, .avslutad]
        case .utvecklas: [.testas, .parkerad, .avslutad]
        case .testas: [.realiserad, .parkerad, .avslutad]
        case .parkerad: [.bedoms, .avslutad]
        }
    }

    /// Nil when the move is allowed, else why not.
    public static func check(from: IdeaStage, to: IdeaStage, comment: String?) -> Refusal? {
        if from == to { return .unchanged }
        guard targets(from: from).contains(to) else { return .notAllowed }
        if to == .avslutad, (comment ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return .lessonRequired
        }
        return nil
    }

    /// Applies an allowed move: the idea with its new stage and the history event that records it.
    public static func move(
        _ idea: Idea, to stage: IdeaStage, comment: String?, by actor: UserID, at now: Date
    ) -> Result<(Idea, IdeaEvent), Refusal> {
        let comment = comment.flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
        if let refusal = check(from: idea.stage, to: stage, comment: comment) { return .failure(refusal) }
        var moved = idea
        moved.stage = stage
        moved.updatedAt = now
        let event = IdeaEvent(
            ideaNumber: idea.number, at: now, actor: actor, kind: .stage, fromStage: idea.stage, toStage: stage,
            comment: comment)
        return .success((moved, event))
    }
}

extension IdeaStage {
    private static let names: [IdeaStage: [String]] = [
        .utkast: ["utkast", "draft"],
        .inkommen: ["inkommen", "inkommit", "submitted", "received", "new", "ny"],
        .bedoms: ["bedoms", "bedomning", "bedom", "review", "reviewing", "assess", "assessment"],
        .utvecklas: ["utvecklas", "utveckla", "utveckling", "develop", "developing", "development"],
        .testas: ["testas", "testa", "test", "testing", "pilot"],
        .realiserad: ["realiserad", "realisera", "realiserat", "realised", "realized", "implemented", "done"],
        .parkerad: ["parkerad", "parkera", "parkerat", "parked", "park"],
        .avslutad: ["avslutad", "avsluta", "avslutat", "closed", "close"],
    ]

    /// A stage from its Swedish or English name, in any case, with or without diacritics
    /// (`bedöms`, `BEDOMS`, `review`).
    public init?(name: String) {
        let folded = name.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
            .trimmingCharacters(in: .whitespacesAndNewlines.union(.punctuationCharacters))
        guard let match = Self.names.first(where: { $0.value.contains(folded) }) else { return nil }
        self = match.key
    }
}
