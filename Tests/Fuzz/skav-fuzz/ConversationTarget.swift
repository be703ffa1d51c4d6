import Chat
import Conversation
import Foundation
import Intake
import IntakeFakes
import Masking
import Prompts
import Store

/// The repository's real prompts (loaded once).
let fuzzPrompts: PromptCatalog = {
    do {
        return try PromptCatalog.load(directory: FuzzTarget.repositoryRoot.appendingPathComponent("prompts", isDirectory: true))
    } catch {
        fatalError("skav-fuzz: the prompts could not be loaded: \(error)")
    }
}()

extension FuzzTarget {
    /// A conversation through the real state machine (`Conversation.handle`), with an in-memory intake
    /// that applies the actions as the store would. The input is the messages, one a line (`\n`); a line
    /// that starts with `>` is from a second person. A first byte below 0x10 picks a configuration (units,
    /// challenges, English, and 8: the second person is a guide of every unit and a coordinator, so the
    /// pipeline and challenge commands run too). Each message goes through the personal-data scanner
    /// first, as in the bot.
    static let conversation = FuzzTarget(name: "conversation", prepare: { _ = fuzzPrompts }) { bytes in
        var input = Substring(text(bytes))
        var flags: UInt8 = 0
        if let first = input.unicodeScalars.first, first.value < 0x10 {
            flags = UInt8(first.value)
            input = input.dropFirst()
        }
        let ids: [UserID] = ["@anna:kommun.se", "@bo:kommun.se"]
        let units = ["Socialförvaltningen", "Skol- och fritidsförvaltningen"]
        let privileged = flags & 8 != 0
        let config = ConversationConfig(
            units: flags & 1 != 0 || privileged ? units : [],
            themes: flags & 2 != 0 ? [Theme(key: "klimat", title: "Klimatomställning")] : [],
            defaultLanguage: flags & 4 != 0 ? .en : .sv, maxMessageLength: flags & 1 != 0 ? 4000 : 120,
            roles: privileged ? Roles(coordinators: [ids[1]], guides: [Roles.Guide(user: ids[1], units: units)]) : .none,
            sharedRoom: privileged, coordinatorsRoom: privileged)
        let intake = CheckedIntake()
        intake.privileged = privileged ? [ids[1]] : []
        var persons = ids.map { Person(id: $0, greetedAt: nil, createdAt: Date(timeIntervalSince1970: 1_760_000_000)) }
        var sessions = ids.map { _ in ConversationSession() }
        var now = Date(timeIntervalSince1970: 1_760_000_000)
        let scanner = PersonalDataScanner()

        for line in input.split(separator: "\n", omittingEmptySubsequences: false).prefix(40) {
            let who = line.hasPrefix(">") ? 1 : 0
            let message = scanner.scan(String(who == 1 ? line.dropFirst() : line)).masked
            let context = ConversationContext(now: now, config: config, prompts: fuzzPrompts, reader: intake)
            let actions: [ConversationAction]
            do {
                actions = try Conversation.handle(text: message, person: persons[who], session: &sessions[who], context: context)
            } catch {
                fatalError("handle threw \(error) for \(message.debugDescription)")
            }
            intake.apply(actions, by: ids[who])
            now += 61
            let replies = actions.filter {
                if case .reply = $0 { return true }
                if case .replyFile = $0 { return true }
                return false
            }
            check(!replies.isEmpty, "no reply to \(message.debugDescription)")
            for case .savePerson(let saved) in actions {
                check(saved.id == ids[who], "saved another person")
                persons[who] = saved
            }
            for (index, session) in sessions.enumerated() {
                if let number = session.draftNumber {
                    let idea = intake.ideas[number]
                    check(idea?.author == ids[index] && idea?.stage == .utkast, "session points at idea \(number): \(String(describing: idea))")
                }
                check(session.undo.count <= ConversationSession.undoLimit, "undo grew")
            }
        }
    }
}

/// The shared in-memory intake, checking what the store would refuse before it applies an action (the
/// same checks as `Tests/FuzzTests`, with the guide and coordinator). Nothing is ever similar.
final class CheckedIntake: MemoryIntake {
    /// Guides and coordinators: they may change others' ideas, open challenges, post and ask to lift.
    var privileged: Set<UserID> = []
    var highest = 0

    init() { super.init(findsSimilarIdeas: false) }

    func apply(_ actions: [ConversationAction], by person: UserID) {
        for action in actions {
            switch action {
            case .reply, .replyFile, .notify, .audit, .savePerson, .recordEvent, .linkIdeas: break
            case .announce, .post, .digestNow:
                check(privileged.contains(person) || isAnswerToLift(action), "an employee without a role caused \(action)")
            case .saveCampaign:
                check(privileged.contains(person), "an employee without a role caused \(action)")
            case .saveLift(let lift):
                // Coordinators ask; the idea-giver answers their own.
                check(privileged.contains(person) || ideas[lift.ideaNumber]?.author == person, "\(person) saved \(lift)")
            case .forgetPerson(let user):
                check(user == person, "\(person) forgot \(user)")
            case .saveIdea(let idea):
                if let stored = ideas[idea.number] {
                    check(stored.author == idea.author, "idea \(idea.number) changed author")
                    // Only guides and coordinators move submitted ideas (and never the drafts of others).
                    check(
                        stored.stage == .utkast ? idea.author == person : privileged.contains(person),
                        "idea \(idea.number) (\(stored.stage)) changed by \(person)")
                } else {
                    check(idea.author == person, "idea \(idea.number) saved for \(idea.author) by \(person)")
                    check(idea.number > highest, "new idea \(idea.number) not above \(highest): numbers reused")
                    highest = idea.number
                }
            case .deleteIdea(let number):
                check(ideas[number]?.stage == .utkast, "deleted \(number), which is not a draft")
                check(ideas[number]?.author == person, "deleted someone else's idea \(number)")
            }
            store(action)
        }
    }
}

extension CheckedIntake {
    /// An idea-giver's `ja N` posts their idea to the shared room (a good example): allowed without a role.
    func isAnswerToLift(_ action: ConversationAction) -> Bool {
        if case .post = action { return lifts.values.contains { $0.answer != nil } }
        return false
    }
}
