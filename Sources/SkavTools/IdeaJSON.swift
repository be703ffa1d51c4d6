import Digest
import Foundation
import Chat
import Configuration
import SkavBot
import Intake
import Prompts
import Store

/// The JSON shape of an idea for `skav ideas … --json`: every field present (null when empty),
/// dates in ISO 8601, stage ids as stored.
public struct IdeaJSON: Encodable {
    public var idea: Idea
    public var history: [IdeaEvent]?

    public init(idea: Idea, history: [IdeaEvent]? = nil) {
        self.idea = idea
        self.history = history
    }

    enum Keys: String, CodingKey {
        case number, title, problem, benefits, solution, challenge, campaign, unit, stage, author, guide
        case created_at, updated_at, submitted_at, history
    }

    enum EventKeys: String, CodingKey {
        case at, actor, kind, from_stage, to_stage, comment
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(idea.number, forKey: .number)
        try container.encode(idea.title, forKey: .title)
        try container.encode(idea.problem, forKey: .problem)
        try container.encode(idea.benefits, forKey: .benefits)
        try container.encode(idea.solution, forKey: .solution)
        try container.encode(idea.theme, forKey: .challenge)
        // The idea challenge (opened in chat) the idea was sent to, by its number.
        try container.encode(idea.campaign, forKey: .campaign)
        try container.encode(idea.unit, forKey: .unit)
        try container.encode(idea.stage.rawValue, forKey: .stage)
        try container.encode(idea.author.rawValue, forKey: .author)
        try container.encode(idea.guide?.rawValue, forKey: .guide)
        try container.encode(CSV.iso(idea.createdAt), forKey: .created_at)
        try container.encode(CSV.iso(idea.updatedAt), forKey: .updated_at)
        try container.encode(idea.submittedAt.map(CSV.iso), forKey: .submitted_at)
        if let history {
            var list = container.nestedUnkeyedContainer(forKey: .history)
            for event in history {
                var item = list.nestedContainer(keyedBy: EventKeys.self)
                try item.encode(CSV.iso(event.at), forKey: .at)
                try item.encode(event.actor.rawValue, forKey: .actor)
                try item.encode(event.kind.rawValue, forKey: .kind)
                try item.encode(event.fromStage?.rawValue, forKey: .from_stage)
                try item.encode(event.toStage?.rawValue, forKey: .to_stage)
                try item.encode(event.comment, forKey: .comment)
            }
        }
    }


    /// Pretty, key-sorted JSON text.
    public static func render<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
