import Chat
import Foundation
import Intake
import Prompts
import Store

/// A municipality-sized organisation for the scale benchmark: people, units with two guides each, five
/// coordinators, and N submitted ideas over three years (about 1 % of them in the last week), each with
/// the history, audit entries, nudges and outbox rows that running the bot leaves behind. Everything is
/// written through the store's own calls, as the bot writes it, and the same seed gives the same
/// organisation.
struct Organisation {
    /// Bump when the seeded content changes, so cached databases are not reused.
    static let version = 2
    /// The benchmark's "now": Monday 23 November 2026, 09:00 in Stockholm.
    static let now = Date(timeIntervalSince1970: 1_795_420_800)

    let ideas: Int
    let people: Int
    let units: Int
    /// The organisation's "now": the last week of ideas ends here (`skav-bench seed --now`).
    var now: Date = Organisation.now
    /// Only what a digest reads, in about a fifth of the time: no sent outbox rows of the ideas' conversations,
    /// and similar ideas kept only for ideas of the last 30 days (the digest's clusters come from its new ideas).
    var lean = false

    var unitNames: [String] { (0..<units).map { Self.unitName($0) } }

    static func unitName(_ index: Int) -> String {
        let kinds = ["Socialtjänst", "Skola", "Äldreomsorg", "Samhällsbyggnad", "Kultur och fritid", "Förskola",
            "Vård och omsorg", "Stadsledning", "Teknik", "Miljö"]
        let towns = ["Helsingborg", "Höganäs", "Ängelholm", "Landskrona", "Båstad", "Bjuv", "Klippan", "Åstorp",
            "Perstorp", "Svalöv", "Örkelljunga"]
        return "\(kinds[index % kinds.count]) \(towns[(index / kinds.count) % towns.count])"
            + (index >= kinds.count * towns.count ? " \(index)" : "")
    }

    var roles: Roles {
        Roles(
            coordinators: (0..<5).map { UserID("@samordnare\($0):kommun.se") },
            guides: (0..<units).flatMap { unit in
                (0..<2).map { Roles.Guide(user: UserID("@guide\(unit)-\($0):kommun.se"), units: [Self.unitName(unit)]) }
            })
    }

    /// The config the command-line figures run with.
    func config(database: String) -> String {
        var lines = ["database: {path: '\(database)'}", "units:"]
        lines += unitNames.map { "  - '\($0)'" }
        lines += ["roles:", "  coordinators:"]
        lines += roles.coordinators.map { "    - '\($0.rawValue)'" }
        lines += ["  guides:"]
        for guide in roles.guides {
            lines += ["    - user: '\(guide.user.rawValue)'", "      units: ['\(guide.units.joined(separator: "', '"))']"]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: Text

    static let nouns = [
        "schemat", "blanketten", "tolkbokningen", "vikarien", "inloggningen", "nycklarna", "skrivaren", "bilarna",
        "mötet", "rapporten", "journalen", "ansökan", "beslutet", "fakturan", "lösenordet", "datorn", "telefonen",
        "läkemedelslistan", "hembesöket", "brukarens plan", "elevens frånvaro", "föräldramötet", "bygglovet",
        "delegationen", "semesterlistan", "lönen", "introduktionen", "rutinen", "systemet", "kaffeautomaten",
        "passerkortet", "sjukanmälan", "tidrapporten", "mejlen", "protokollet", "avvikelsen", "genomförandeplanen",
        "matsedeln", "städningen", "parkeringen", "larmet", "nattpersonalen", "kompetensplanen", "arkivet",
        "diariet", "upphandlingen", "körjournalen", "medarbetarsamtalet", "överlämningen", "arbetsmiljön",
    ]
    static let verbs = [
        "boka", "skriva ut", "skanna in", "registrera", "godkänna", "leta efter", "fylla i", "skicka", "beställa",
        "dokumentera", "signera", "planera", "rapportera", "kontrollera", "lämna över", "hämta", "uppdatera",
        "hitta", "beställa om", "kvittera",
    ]
    static let contexts = [
        "varje vecka", "på papper", "i tre olika system", "för hand", "per telefon", "innan mötet", "på helgerna",
        "när någon är sjuk", "vid varje skiftbyte", "i början av terminen", "efter varje hembesök", "två gånger",
        "utan att någon vet varför", "med fel uppgifter", "i ett kalkylark", "på fel avdelning",
    ]
    static let openings = [
        "Det tar för lång tid att", "Vi måste", "Ingen vet hur man ska", "Det är krångligt att", "Varje gång måste vi",
        "Nyanställda vet inte hur man ska", "Det går inte att",
    ]
    static let consequences = [
        "så brukarna får vänta", "vilket tar en timme om dagen", "och det blir fel ibland", "så eleverna blir utan",
        "och det kostar mycket", "så personalen blir stressad", "och ingen hinner med", "så vi får göra om det",
    ]

    /// A problem as a person writes it: a few ordinary workplace words, Zipf-like (some much more common).
    func problem(using generator: inout SplitMix64) -> String {
        func zipf<T>(_ items: [T]) -> T {
            // P(i) ∝ 1/(i+1): the first words are much more common than the last.
            let u = Double(generator.next() % 1_000_000) / 1_000_000
            let index = Int(pow(Double(items.count + 1), u)) - 1
            return items[min(items.count - 1, max(0, index))]
        }
        let first = zipf(Self.nouns), second = zipf(Self.nouns)
        return "\(zipf(Self.openings)) \(zipf(Self.verbs)) \(first) \(zipf(Self.contexts)), \(zipf(Self.consequences)). "
            + "Det gäller också \(second) och \(Self.nouns[Int(generator.next() % UInt64(Self.nouns.count))])."
    }

    // MARK: Seeding

    func seed(into path: String) throws {
        let store = try IntakeStore(path: path)
        var generator = SplitMix64(seed: 2026)
        let now = self.now
        let start = now.addingTimeInterval(-3 * 365 * 86_400)
        let lastWeek = now.addingTimeInterval(-7 * 86_400)
        let roles = self.roles
        let units = unitNames

        try store.write { tx in
            for index in 0..<people {
                try tx.savePerson(
                    Person(
                        id: UserID("@person\(index):kommun.se"), language: index % 20 == 0 ? .en : .sv,
                        unit: units[index % units.count], greetedAt: start, createdAt: start,
                        weeklyCheckin: index % 10 == 0))
            }
        }

        let recentShare = 0.01
        let recent = Int((Double(ideas) * recentShare).rounded())
        let chunk = 1_000
        var number = 0
        while number < ideas {
            let end = min(ideas, number + chunk)
            try store.write { tx in
                while number < end {
                    number += 1
                    let isRecent = number > ideas - recent
                    let submitted: Date
                    if isRecent {
                        let offset = Double(number - (ideas - recent)) / Double(max(1, recent)) * 7 * 86_400
                        submitted = lastWeek.addingTimeInterval(offset)
                    } else {
                        let offset = Double(number) / Double(max(1, ideas - recent)) * lastWeek.timeIntervalSince(start)
                        submitted = start.addingTimeInterval(offset)
                    }
                    try seedIdea(number, submitted: submitted, now: now, tx: tx, roles: roles, units: units, generator: &generator)
                }
            }
        }
        try store.checkpoint()
    }

    private func seedIdea(
        _ number: Int, submitted: Date, now: Date, tx: IntakeTransaction, roles: Roles, units: [String],
        generator: inout SplitMix64
    ) throws {
        let personIndex = Int(generator.next() % UInt64(people))
        let author = UserID("@person\(personIndex):kommun.se")
        let unit = units[personIndex % units.count]
        let guides = roles.guides.filter { $0.units.contains(unit) }.map(\.user)
        let guide = guides.isEmpty ? nil : guides[Int(generator.next() % UInt64(guides.count))]
        let room = RoomID("!dm\(personIndex):kommun.se")
        let problem = problem(using: &generator)
        let age = now.timeIntervalSince(submitted)
        let roll = Double(generator.next() % 1000) / 1000
        let path: [IdeaStage]
        switch (age > 180 * 86_400, roll) {
        case (true, ..<0.15): path = [.bedoms, .utvecklas, .testas, .realiserad]
        case (true, ..<0.50): path = [.bedoms, .avslutad]
        case (true, ..<0.70): path = [.bedoms, .parkerad]
        case (true, ..<0.75): path = [.bedoms, .utvecklas, .testas]
        case (true, ..<0.85): path = [.bedoms, .utvecklas]
        case (true, ..<0.95): path = [.bedoms]
        case (false, ..<0.45): path = []
        case (false, ..<0.75): path = [.bedoms]
        case (false, ..<0.90): path = [.bedoms, .utvecklas]
        default: path = [.bedoms, .avslutad]
        }
        let created = submitted.addingTimeInterval(-120)
        var idea = Idea(
            number: number, author: author, title: deriveTitle(from: problem), problem: problem,
            benefits: ["residents", "colleagues", "businesses"][number % 3],
            solution: number % 3 == 0 ? "Ett gemensamt digitalt formulär i stället för papper." : nil,
            unit: unit, stage: .inkommen, guide: nil, createdAt: created, updatedAt: submitted, submittedAt: submitted)
        try tx.saveIdea(idea)
        // As the bot does when an idea is submitted: its similar ideas are kept for the digests.
        if !lean || now.timeIntervalSince(submitted) < 30 * 86_400 { try tx.recordSimilarity(of: idea, at: submitted) }
        _ = try tx.appendEvent(IdeaEvent(ideaNumber: number, at: created, actor: author, kind: .created))
        _ = try tx.appendEvent(
            IdeaEvent(ideaNumber: number, at: submitted, actor: author, kind: .submitted, fromStage: .utkast, toStage: .inkommen))
        try tx.audit(AuditEntry(at: created, actor: author.rawValue, ideaNumber: number, action: .created))
        if try tx.directRoom(of: author) == nil { try tx.setDirectRoom(room, for: author, at: created) }

        // The conversation that made it: each reply went through the outbox and was sent.
        let replies = [
            "Tack! Sparat som utkast #\(number). Vem skulle ha mest nytta av en lösning? 1) invånare/brukare 2) kollegor 3) företag/föreningar 4) annat – eller skriv hoppa.",
            "Har du ett förslag på lösning? Skriv det, eller vet ej, eller hoppa.",
            "Så här ser idén ut nu:\n\(problem)\nSkriv skicka, ändra 2 eller avbryt.",
            "Tack för din idé #\(number)! Den har gått vidare till idéslussen. Det du skickar hit kan bli en allmän handling.",
        ]
        for (index, body) in replies.enumerated() {
            let at = created.addingTimeInterval(Double(index * 20))
            try sendThroughOutbox(txnID: "$seed\(number)-\(index).0", room: room, body: body, at: at, tx: tx)
        }
        if let guide {
            try sendThroughOutbox(
                txnID: "$seed\(number)-route.0", room: RoomID("!guide-\(guide.rawValue)"),
                body: "Ny idé #\(number) i \(unit): \(idea.title). Skriv idé \(number) för att läsa den eller ta \(number) för att ta hand om den.",
                at: submitted, tx: tx)
            var followup = Nudge(
                kind: .guideFollowup, recipient: guide, ideaNumber: number,
                dueAt: submitted.addingTimeInterval(7 * 86_400), dedupeKey: "guide_followup:\(number)", createdAt: submitted)
            if try tx.planNudge(followup), let id = tx.lastInsertedID as Int64? {
                followup.id = id
                let doneAt = followup.dueAt < now ? followup.dueAt : nil
                if let doneAt {
                    try tx.finishNudge(id, outcome: path.isEmpty ? .sent : .cancelled, at: doneAt, day: CivilDate(doneAt, in: .current))
                }
            }
        }

        // Its way through the intake.
        var stage = IdeaStage.inkommen
        var at = submitted
        for next in path {
            at = at.addingTimeInterval(Double(3 + generator.next() % 20) * 86_400)
            if at > now { break }
            let actor = guide ?? roles.coordinators[0]
            if stage == .inkommen, let guide {
                idea.guide = guide
                _ = try tx.appendEvent(IdeaEvent(ideaNumber: number, at: at, actor: guide, kind: .claimed))
            }
            _ = try tx.appendEvent(
                IdeaEvent(
                    ideaNumber: number, at: at, actor: actor, kind: .stage, fromStage: stage, toStage: next,
                    comment: next == .avslutad ? "Vi lärde oss att det redan finns en rutin för det här." : nil))
            try tx.audit(
                AuditEntry(at: at, actor: actor.rawValue, ideaNumber: number, action: .stage, detail: "\(stage.rawValue)→\(next.rawValue)"))
            try sendThroughOutbox(
                txnID: "$seed\(number)-stage-\(next.rawValue).0", room: room,
                body: "Din idé #\(number) har gått vidare: nu \(next.rawValue). Tack för att du delade den!", at: at, tx: tx)
            stage = next
        }
        idea.stage = stage
        idea.updatedAt = at
        try tx.saveIdea(idea)
        if number > 50, number % 50 == 0 { _ = try tx.linkIdeas(number, number - 37, by: roles.coordinators[0], at: at) }
    }

    /// An outbox entry as the bot writes it, then marked sent as the sender does.
    private func sendThroughOutbox(txnID: String, room: RoomID, body: String, at: Date, tx: IntakeTransaction) throws {
        if lean { return }
        guard try tx.enqueue(OutboxEntry(txnID: txnID, roomID: room, body: RichText(plain: body), createdAt: at)) else { return }
        try tx.markSent(tx.lastInsertedID, remoteID: "$sent-\(txnID)", room: room, at: at.addingTimeInterval(0.2))
    }
}
