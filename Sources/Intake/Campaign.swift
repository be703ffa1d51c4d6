public import Chat
public import Foundation

/// An idea challenge (*idéutmaning*, SkavBot.docc/Intake.md): a coordinator opens it with a title, a question and a
/// deadline; it is announced in the shared room and to the people who opted in; ideas sent to it are
/// tagged with its number; it closes with a summary to the coordinators.
public struct Campaign: Codable, Sendable, Equatable {
    public var number: Int
    public var title: String
    public var question: String
    /// The last day ideas are asked for (local calendar day), `YYYY-MM-DD`.
    public var deadline: CivilDate
    public var openedBy: UserID
    public var openedAt: Date
    public var closedAt: Date?
    public var closedBy: UserID?

    public init(
        number: Int, title: String, question: String, deadline: CivilDate, openedBy: UserID, openedAt: Date,
        closedAt: Date? = nil, closedBy: UserID? = nil
    ) {
        self.number = number
        self.title = title
        self.question = question
        self.deadline = deadline
        self.openedBy = openedBy
        self.openedAt = openedAt
        self.closedAt = closedAt
        self.closedBy = closedBy
    }

    public var isClosed: Bool { closedAt != nil }

    /// Open and the deadline not passed on `day`: ideas can be sent to it.
    public func isRunning(on day: CivilDate) -> Bool { closedAt == nil && day <= deadline }

    enum CodingKeys: String, CodingKey {
        case number, title, question, deadline, openedBy, openedAt, closedAt, closedBy
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        number = try container.decode(Int.self, forKey: .number)
        title = try container.decode(String.self, forKey: .title)
        question = try container.decode(String.self, forKey: .question)
        let deadlineText = try container.decode(String.self, forKey: .deadline)
        guard let day = CivilDate(iso: deadlineText) else {
            throw DecodingError.dataCorruptedError(
                forKey: .deadline, in: container, debugDescription: "not a date: \(deadlineText)")
        }
        deadline = day
        openedBy = try container.decode(UserID.self, forKey: .openedBy)
        openedAt = try container.decode(Date.self, forKey: .openedAt)
        closedAt = try container.decodeIfPresent(Date.self, forKey: .closedAt)
        closedBy = try container.decodeIfPresent(UserID.self, forKey: .closedBy)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(number, forKey: .number)
        try container.encode(title, forKey: .title)
        try container.encode(question, forKey: .question)
        try container.encode(deadline.description, forKey: .deadline)
        try container.encode(openedBy, forKey: .openedBy)
        try container.encode(openedAt, forKey: .openedAt)
        try container.encodeIfPresent(closedAt, forKey: .closedAt)
        try container.encodeIfPresent(closedBy, forKey: .closedBy)
    }
}

/// `lyft N`: a coordinator asked the idea-giver whether the idea may be shown as a good example in the
/// shared room. Nothing is shown before the answer is yes (by name) or anonymous.
public struct LiftRequest: Codable, Sendable, Equatable {
    public enum Answer: String, Codable, Sendable {
        /// Show it, with thanks by name.
        case yes
        /// Show it, without the name.
        case anonymous
        case no
    }

    public var ideaNumber: Int
    public var askedBy: UserID
    public var askedAt: Date
    public var answer: Answer?
    public var answeredAt: Date?

    public init(ideaNumber: Int, askedBy: UserID, askedAt: Date, answer: Answer? = nil, answeredAt: Date? = nil) {
        self.ideaNumber = ideaNumber
        self.askedBy = askedBy
        self.askedAt = askedAt
        self.answer = answer
        self.answeredAt = answeredAt
    }
}
