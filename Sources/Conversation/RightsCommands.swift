import Chat
public import Foundation
public import Intake
import Prompts

// `mina data` and `glöm mig` (SkavBot.docc/Privacy.md). Pure like the rest of the conversation: the export is read
// through `IntakeReading`, forgetting is a `.forgetPerson` action the bot applies in the same transaction.

/// The document `mina data` sends: what the store holds, plus the conversation state.
public struct PersonalDataDocument: Encodable, Sendable {
    public var exportedAt: Date
    public var stored: PersonalDataExport
    public var conversationState: ConversationSession?

    enum CodingKeys: String, CodingKey {
        case exportedAt = "exported_at", stored, conversationState = "conversation_state"
    }

    /// Pretty, sorted JSON with ISO 8601 dates.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

extension Turn {
    /// How long a `glöm mig` waits for its confirmation.
    static let forgetConfirmWindow: TimeInterval = 15 * 60

    static let forgetYes: Set<String> = [
        "ja, glom mig", "ja glom mig", "ja", "ja tack", "yes, forget me", "yes forget me", "yes",
    ]
    static let forgetNo: Set<String> = ["nej", "nej tack", "no", "no thanks", "avbryt", "cancel"]

    // MARK: mina data

    mutating func exportData() throws {
        let document = PersonalDataDocument(
            exportedAt: now, stored: try context.reader.personalData(of: person.id),
            conversationState: session)
        let json = try document.json()
        if config.filesSupported {
            let day = ISO8601DateFormatter.string(from: now, timeZone: .gmt, formatOptions: [.withFullDate])
            let file = FileAttachment(
                filename: "skav-mina-data-\(day).json", mimeType: "application/json", data: Data(json.utf8))
            effects.append(.replyFile(t(.myDataFile), file))
        } else {
            let parts = MessageSplitter.split(json)
            reply(t(.myDataIntro, [.count: "\(parts.count)"]))
            for part in parts { reply(RichText(plain: part)) }
        }
        effects.append(.audit(ideaNumber: nil, action: .exported, detail: "mina data"))
    }

    // MARK: glöm mig

    mutating func askForget() throws {
        let ideas = try context.reader.ideas(author: person.id)
        let drafts = ideas.filter { $0.stage == .utkast }.count
        session.forgetAskedAt = now
        reply(t(.forgetConfirm, [.drafts: "\(drafts)", .ideas: "\(ideas.count - drafts)"]))
    }

    /// The message after `glöm mig`: a yes forgets, a no cancels; anything else cancels and is then
    /// handled as usual. Returns whether the message was used up.
    mutating func answerForget(_ text: String) throws -> Bool {
        guard let asked = session.forgetAskedAt else { return false }
        session.forgetAskedAt = nil
        let answer = Command.normalize(text)
        let fresh = now.timeIntervalSince(asked) <= Self.forgetConfirmWindow && now >= asked
        if fresh, Self.forgetYes.contains(answer) {
            let ideas = try context.reader.ideas(author: person.id)
            let drafts = ideas.filter { $0.stage == .utkast }.count
            effects.append(.forgetPerson(person.id))
            session = ConversationSession()
            draft = nil
            reply(t(.forgetDone, [.drafts: "\(drafts)", .ideas: "\(ideas.count - drafts)"]))
            return true
        }
        reply(t(.forgetCancelled))
        return Self.forgetNo.contains(answer) || Self.forgetYes.contains(answer)
    }
}
