import Chat
import Conversation
import Foundation
import Digest
import SkavBot
import Logging
import Intake
import Prompts
import Store
import Configuration

/// `skav ideas export`: every submitted idea as CSV or JSON.
public enum IdeaExport {
    public enum Format: String, Sendable, CaseIterable {
        case csv, json
    }

    static let columns = [
        "number", "title", "stage", "unit", "challenge", "benefits", "problem", "solution", "author", "guide",
        "created_at", "submitted_at", "updated_at", "links", "campaign",
    ]

    /// CSV as spreadsheets in a Swedish locale read it: UTF-8 with a byte-order mark (so Excel knows the
    /// encoding and keeps å/ä/ö), `;` between fields (the Swedish list separator), CRLF line ends, and
    /// fields quoted when they hold `;`, `"`, a line break or leading/trailing space (quotes doubled).
    /// Every cell that a spreadsheet would take for a formula is neutralised first (see `neutralise`).
    /// In memory: for a few ideas. The command streams (`write(_:from:to:)`) the same bytes.
    public static func csv(_ ideas: [Idea], links: [Int: [Int]] = [:]) -> Data {
        var text = CSV.start + CSV.line(columns)
        for idea in ideas { text += csvRow(idea, links: links[idea.number] ?? []) }
        return Data(text.utf8)
    }

    static func csvRow(_ idea: Idea, links: [Int]) -> String {
        CSV.line([
            "\(idea.number)", idea.title, idea.stage.rawValue, idea.unit ?? "", idea.theme ?? "",
            idea.benefits ?? "", idea.problem, idea.solution ?? "", idea.author.rawValue, idea.guide?.rawValue ?? "",
            CSV.iso(idea.createdAt), idea.submittedAt.map(CSV.iso) ?? "", CSV.iso(idea.updatedAt),
            links.map(String.init).joined(separator: " "),
            idea.campaign.map(String.init) ?? "",
        ])
    }

    /// Writes every submitted idea, by number, as `csv` or `json` gives them, to `emit` in pieces of about
    /// 64 kB: the ideas come from a database cursor in batches of `batch`, with their links or history read
    /// per batch, so memory stays flat however many ideas there are. Call it inside one read transaction
    /// (a consistent snapshot).
    public static func write(
        _ format: Format, from tx: IntakeTransaction, batch: Int = 500, to emit: (Data) throws -> Void
    ) throws {
        var buffer = ""
        func flush(force: Bool = false) throws {
            guard !buffer.isEmpty, force || buffer.utf8.count >= 65_536 else { return }
            try emit(Data(buffer.utf8))
            buffer = ""
        }
        switch format {
        case .csv:
            buffer = CSV.start + CSV.line(columns)
            try tx.forEachIdeaBatch(size: batch) { ideas in
                let links = try tx.links(ofIdeas: ideas.map(\.number))
                for idea in ideas {
                    buffer += csvRow(idea, links: links[idea.number] ?? [])
                    try flush()
                }
            }
        case .json:
            // The same text as `json` (a pretty-printed array): each element rendered alone and indented
            // one level, with the array's brackets and commas written around them.
            var first = true
            buffer = "["
            try tx.forEachIdeaBatch(size: batch) { ideas in
                let history = try tx.events(ofIdeas: ideas.map(\.number))
                for idea in ideas {
                    let element = try IdeaJSON.render(IdeaJSON(idea: idea, history: history[idea.number] ?? []))
                    // Empty lines (inside an empty array) stay empty, as the encoder writes them.
                    buffer += (first ? "\n" : ",\n") + element.split(separator: "\n", omittingEmptySubsequences: false)
                        .map { $0.isEmpty ? "" : "  " + $0 }.joined(separator: "\n")
                    first = false
                    try flush()
                }
            }
            buffer += first ? "\n\n]\n" : "\n]\n"
        }
        try flush(force: true)
    }

    /// A JSON array of ideas with their history, as `skav ideas show --json` prints one.
    public static func json(_ ideas: [(Idea, [IdeaEvent])]) throws -> Data {
        Data((try IdeaJSON.render(ideas.map { IdeaJSON(idea: $0.0, history: $0.1) }) + "\n").utf8)
    }
}

/// `skav ideas stage N STAGE --by USER`: `status N STAGE` as typed in chat, through the same rules and the
/// same action interpreter (audit entry included); the idea-giver's notice goes through the outbox (the
/// running bot sends it).
public enum StageCommand {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Moves the idea and returns it; a refusal (the chat's answer, in the config's language) is a `Failure`.
    @discardableResult
    public static func run(
        store: IntakeStore, prompts: PromptCatalog, config: SkavConfig, number: Int, stage name: String,
        by actor: UserID, comment: String?, now: Date
    ) throws -> Idea {
        // The operator's answer names stages by their ids; the rules are the chat's (`StageRules`).
        guard let stage = IdeaStage(name: name) else {
            throw Failure(
                description: "unknown stage '\(name)' (use \(IdeaStage.allCases.dropFirst().map(\.rawValue).joined(separator: ", ")))")
        }
        guard let before = try store.read({ try $0.idea(number: number) }), before.stage != .utkast else {
            throw Failure(description: "there is no submitted idea #\(number)")
        }
        let roles = config.roles
        if roles != .none, !roles.canManage(before, by: actor) {
            throw Failure(description: "\(actor) is neither a coordinator nor a guide of the idea's unit (roles in the config)")
        }
        switch StageRules.move(before, to: stage, comment: comment, by: actor, at: now) {
        case .failure(.unchanged):
            throw Failure(description: "idea #\(number) is already \(stage.rawValue)")
        case .failure(.lessonRequired):
            throw Failure(description: "closing (avslutad) needs the lesson learned: --comment TEXT")
        case .failure(.notAllowed):
            let targets = StageRules.targets(from: before.stage).map(\.rawValue)
            throw Failure(
                description: "idea #\(number) is \(before.stage.rawValue) and can move to: "
                    + (targets.isEmpty ? "nothing (an end stage)" : targets.joined(separator: ", ")))
        case .success:
            break
        }
        // The move itself: `status N STAGE` through the engine's action interpreter, as from chat.
        let engine = BotEngine(
            store: store, prompts: prompts,
            settings: BotSettings(
                botUser: UserID("@skav:command-line"), allowedDomains: [],
                conversation: SkavApp.conversationConfig(config), cursorKey: StoredKey.terminalCursor,
                flood: SkavApp.floodLimit(config)),
            logger: Logger(label: "skav.ideas.stage"))
        let replies = try engine.perform(.setStage(number, stage: name, comment: comment), by: actor, now: now)
        let after = try store.read { try $0.idea(number: number) }
        guard let after, after.stage != before.stage else {
            let said = replies.map(\.plainText).joined(separator: "\n")
            throw Failure(description: said.isEmpty ? "there is no submitted idea #\(number)" : said)
        }
        return after
    }
}
