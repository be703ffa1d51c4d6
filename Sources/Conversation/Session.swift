public import Foundation

/// What the conversation with one person is in the middle of. Stored by the bot between messages
/// (Codable); small, and holds no raw chat text beyond the undo values the open draft needs.
public struct ConversationSession: Codable, Sendable, Equatable {
    /// The parts of a draft, numbered as on the summary card (`ändra N`).
    public enum Part: Int, Codable, Sendable, CaseIterable {
        case problem = 1, benefits, solution, challenge
    }

    public enum Phase: Codable, Sendable, Equatable {
        /// No open draft, or an open draft with nothing asked.
        case idle
        /// Walking through the follow-up questions for the first time (benefits → solution → challenge).
        case asking(Part)
        /// `ändra N`: one part re-asked; the answer returns to the summary.
        case editing(Part)
        /// The summary card was shown: `skicka`, `ändra N` or `avbryt`.
        case reviewing
        /// Submitting, waiting for the person's unit.
        case askingUnit
    }

    /// One answer that `ångra` can take back.
    public struct UndoStep: Codable, Sendable, Equatable {
        public var part: Part
        /// The value before the answer (nil: empty).
        public var previous: String?
        /// The phase in which the question was asked; `ångra` returns to it.
        public var phase: Phase

        public init(part: Part, previous: String?, phase: Phase) {
            self.part = part
            self.previous = previous
            self.phase = phase
        }
    }

    /// How many answers `ångra` can take back.
    public static let undoLimit = 20

    public var phase: Phase
    /// The number of the open draft, if any (one open draft per person).
    public var draftNumber: Int?
    /// Answers to the open draft, oldest first.
    public var undo: [UndoStep]
    /// When `glöm mig` asked for confirmation; only the very next message can confirm it.
    public var forgetAskedAt: Date?

    public init(phase: Phase = .idle, draftNumber: Int? = nil, undo: [UndoStep] = []) {
        self.phase = phase
        self.draftNumber = draftNumber
        self.undo = undo
    }

    /// Forgets the open draft.
    mutating func close() {
        phase = .idle
        draftNumber = nil
        undo = []
    }
}
