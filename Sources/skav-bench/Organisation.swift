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
    static let version = 3
    /// The benchmark's "now": Monday 23 November 2026, 09:00 in Stockholm.
    static let now = Date(timeIntervalSince1970: 1_795_420_800)

    let ideas: Int
    let people: Int
    let units: Int
    /// The organisation's "now": the last week of ideas ends here (`skav-bench seed --now`).
    var now: Date = Organisation.now
    /// Only what a digest reads, in less time: no sent outbox rows of the ideas' conversations.
    var lean = false
    /// Similar ideas are kept (as at submit) for the ideas of these last days only: a digest's clusters come
    /// from its period's new ideas, and finding the similar ideas of all 100,000 took most of an hour.
    static let similarityDays = 60.0

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

    // Ideas as people write them at work: a few sentences (sometimes one line, sometimes a long paragraph)
    // about their own routines, with the compound nouns, place names and system names of a municipality,
    // and typos. Words are drawn Zipf-like from a vocabulary of several thousand, so a few words are very
    // common and most are rare, as in real text; similar-idea lookups see realistic document frequencies.

    /// Common nouns, most common first.
    static let nouns = [
        "schemat", "personalen", "blanketten", "tiden", "systemet", "mötet", "vikarien", "rutinen", "inloggningen",
        "brukaren", "eleverna", "nycklarna", "skrivaren", "bilarna", "rapporten", "journalen", "ansökan", "beslutet",
        "fakturan", "lösenordet", "datorn", "telefonen", "läkemedelslistan", "hembesöket", "frånvaron", "föräldrarna",
        "bygglovet", "delegationen", "semesterlistan", "lönen", "introduktionen", "kaffeautomaten", "passerkortet",
        "sjukanmälan", "tidrapporten", "mejlen", "protokollet", "avvikelsen", "genomförandeplanen", "matsedeln",
        "städningen", "parkeringen", "larmet", "nattpersonalen", "kompetensplanen", "arkivet", "diariet",
        "upphandlingen", "körjournalen", "medarbetarsamtalet", "överlämningen", "arbetsmiljön", "kunderna",
        "invånarna", "ärendet", "underlaget", "budgeten", "lokalen", "köket", "tvätten", "posten", "pappret",
        "kopiatorn", "projektorn", "wifi", "nätverket", "intranätet", "hemsidan", "e-tjänsten", "kön", "väntetiden",
        "schemaläggningen", "bemanningen", "vikariepoolen", "rekryteringen", "utbildningen", "handledningen",
        "dokumentationen", "uppföljningen", "statistiken", "enkäten", "avtalet", "leverantören", "beställningen",
        "materialet", "förrådet", "kontoret", "korridoren", "hissen", "entrén", "receptionen", "växeln",
        "ventilationen", "värmen", "belysningen", "sophanteringen", "återvinningen", "cyklarna", "bussarna",
        "färdtjänsten", "matlådorna", "måltiderna", "specialkosten", "allergierna", "hjälpmedlen", "rullstolarna",
        "lyftarna", "sängarna", "larmknapparna", "medicinskåpet", "signeringslistan", "ronden", "fikat",
        "personalrummet", "omklädningsrummet", "arbetskläderna", "skyddsutrustningen", "handskarna", "vaccinationen",
        "friskvården", "ledigheten", "övertiden", "flexen", "restiden", "milersättningen", "utlägget", "kvittot",
        "attesten", "kontering", "prognosen", "bokslutet", "ledningsgruppen", "arbetsplatsträffen", "nyhetsbrevet",
    ]

    /// First parts of compound nouns.
    static let compoundFirsts = [
        "tolk", "schema", "löne", "semester", "fordons", "läkemedels", "brukar", "elev", "vikarie", "nyckel",
        "larm", "bygglovs", "hemtjänst", "skol", "förskole", "köks", "städ", "park", "gatu", "vatten", "avfalls",
        "biblioteks", "fritids", "idrotts", "personal", "ekonomi", "faktura", "inköps", "kontrakts", "tillsyns",
        "miljö", "livsmedels", "buller", "trafik", "cykel", "snö", "vinter", "sommar", "natt", "helg", "kvälls",
        "frånvaro", "närvaro", "sjuk", "rehab", "arbetsmiljö", "kompetens", "introduktions", "besöks",
        "mottagnings", "journal", "dokumentations", "delegerings", "signerings", "beställnings", "attest",
        "budget", "prognos", "lokal", "fastighets", "parkerings", "bil", "buss", "resurs", "elevhälso",
        "omsorgs", "boende", "dagverksamhets", "hjälpmedels", "måltids", "tvätt", "post", "arkiv", "diarie",
        "registrerings", "avvikelse", "kvalitets", "uppföljnings", "samverkans", "informations", "intranät",
        "telefon", "mejl", "dator", "skrivar", "support", "behörighets", "inloggnings", "lösenords",
        "säkerhets", "brand", "utrycknings", "familje", "försörjningsstöds", "bistånds", "barnskydds",
        "anhörig", "demens", "palliativ", "nutritions", "fall", "trycksårs", "hygien", "smitt", "vaccinations",
        "friskvårds", "rekryterings", "anställnings", "avslut", "inventarie", "förråds", "material", "utskrifts",
        "skannings", "arkivlådans", "ärende", "handläggnings", "remiss", "yttrande", "nämnd", "protokolls",
    ]

    /// Last parts of compound nouns: base form, definite form, plural.
    static let compoundLasts: [(String, String, String)] = [
        ("bokning", "bokningen", "bokningar"), ("rutin", "rutinen", "rutiner"), ("system", "systemet", "systemen"),
        ("lista", "listan", "listor"), ("blankett", "blanketten", "blanketter"), ("möte", "mötet", "möten"),
        ("ansökan", "ansökan", "ansökningar"), ("rapport", "rapporten", "rapporter"), ("plan", "planen", "planer"),
        ("schema", "schemat", "scheman"), ("nyckel", "nyckeln", "nycklar"), ("tjänst", "tjänsten", "tjänster"),
        ("ärende", "ärendet", "ärenden"), ("avtal", "avtalet", "avtalen"), ("kontroll", "kontrollen", "kontroller"),
        ("portal", "portalen", "portaler"), ("register", "registret", "registren"), ("beslut", "beslutet", "besluten"),
        ("samordnare", "samordnaren", "samordnarna"), ("pärm", "pärmen", "pärmar"), ("mapp", "mappen", "mappar"),
        ("rum", "rummet", "rummen"), ("skåp", "skåpet", "skåpen"), ("tavla", "tavlan", "tavlor"), ("kö", "kön", "köer"),
        ("flöde", "flödet", "flöden"), ("underlag", "underlaget", "underlagen"), ("mall", "mallen", "mallar"),
        ("modul", "modulen", "moduler"), ("app", "appen", "appar"), ("kort", "kortet", "korten"),
        ("rond", "ronden", "ronder"), ("runda", "rundan", "rundor"), ("överlämning", "överlämningen", "överlämningar"),
        ("anmälan", "anmälan", "anmälningar"), ("utskick", "utskicket", "utskicken"),
        ("inventering", "inventeringen", "inventeringar"), ("statistik", "statistiken", "statistiken"),
        ("pott", "potten", "pottar"), ("fil", "filen", "filer"), ("lapp", "lappen", "lappar"),
        ("telefon", "telefonen", "telefoner"), ("dator", "datorn", "datorer"), ("skrivare", "skrivaren", "skrivarna"),
        ("vagn", "vagnen", "vagnar"), ("bil", "bilen", "bilar"), ("förråd", "förrådet", "förråden"),
        ("kalender", "kalendern", "kalendrar"), ("logg", "loggen", "loggar"), ("journal", "journalen", "journaler"),
        ("protokoll", "protokollet", "protokollen"), ("checklista", "checklistan", "checklistor"),
        ("instruktion", "instruktionen", "instruktioner"), ("utbildning", "utbildningen", "utbildningar"),
        ("grupp", "gruppen", "grupper"), ("konto", "kontot", "konton"), ("behörighet", "behörigheten", "behörigheter"),
        ("handläggare", "handläggaren", "handläggarna"), ("ansvarig", "ansvarige", "ansvariga"),
        ("ersättning", "ersättningen", "ersättningar"), ("kostnad", "kostnaden", "kostnader"),
        ("uppdrag", "uppdraget", "uppdragen"), ("enkät", "enkäten", "enkäter"), ("samtal", "samtalet", "samtalen"),
    ]

    /// Towns, districts and the municipality's buildings.
    static let places: [String] = {
        let towns = ["Helsingborg", "Höganäs", "Ängelholm", "Landskrona", "Båstad", "Bjuv", "Klippan", "Åstorp",
            "Perstorp", "Svalöv", "Örkelljunga"]
        let districts = ["Drottninghög", "Dalhem", "Gantofta", "Rydebäck", "Påarp", "Mörarp", "Kattarp", "Hittarp",
            "Laröd", "Ödåkra", "Tågaborg", "Fredriksdal", "Närlunda", "Väla", "Berga", "Högasten", "Husensjö",
            "Eneborg", "Wilson Park", "Stattena", "Gustavslund", "Ringstorp", "Olympia", "Söder", "Norr", "Råå",
            "Viken", "Mölle", "Arild", "Jonstorp", "Nyhamnsläge", "Torekov", "Förslöv", "Munka-Ljungby", "Vejbystrand",
            "Billesholm", "Ekeby", "Ljungbyhed", "Kågeröd", "Teckomatorp", "Skurup", "Glumslöv", "Häljarp", "Saxtorp",
            "Skånes Fagerhult", "Hyllinge", "Kvidinge", "Bårslöv", "Allerum", "Fleninge"]
        let names = ["Ek", "Björk", "Lind", "Sol", "Sjö", "Ängs", "Berg", "Hav", "Rosen", "Lärk", "Gran", "Al", "Ask",
            "Häger", "Trast", "Lönn", "Hassel", "Vals", "Kvarn", "Mölle", "Lunda", "Fält", "Strand", "Sand", "Kull",
            "Back", "Dal", "Hög", "Gul", "Blå"]
        let kinds = ["skolan", "gården", "hemmet", "parken", "badet", "biblioteket", "boendet", "vägen", "gatan",
            "torget", "hallen", "huset"]
        return towns + districts + names.flatMap { name in kinds.map { name + $0 } }
    }()

    /// The municipality's systems and tools.
    static let systems = [
        "Teams", "Outlook", "Treserva", "Lifecare", "Procapita", "Visma", "Heroma", "Personec", "Agresso", "Unit4",
        "W3D3", "Platina", "Public 360", "Ciceron", "Raindance", "TimeCare", "Phoniro", "Skola24", "Vklass",
        "Unikum", "InfoMentor", "Tieto Edu", "SharePoint", "ServiceNow", "Pulsen Combine", "Stratsys", "Hypergene",
        "Medvind", "Castor", "ByggR", "EDP Vision", "Ecos", "GeoSecma", "Proceedo", "Winst", "Alvis", "Tempus",
        "SchoolSoft", "NPÖ", "Pascal", "Sitha", "MinaSidor", "Inera", "Evolution", "Dexter", "Sesam", "Office365",
        "OneDrive", "Excel", "Word", "Zoom", "Adobe Sign", "Netpublicator", "Lex", "Momentum", "Qualifio",
        "Primula", "Kivra", "BankID", "Freja", "Nexus", "Siebert", "Tidomat", "Axema", "Nimbus", "Mashie",
        "Matilda", "Kostdata", "Fastnet", "Dedu", "Ladok", "Intraservice",
    ]

    static let verbs = [
        "boka", "skriva ut", "skanna in", "registrera", "godkänna", "leta efter", "fylla i", "skicka", "beställa",
        "dokumentera", "signera", "planera", "rapportera", "kontrollera", "lämna över", "hämta", "uppdatera",
        "hitta", "beställa om", "kvittera", "ringa om", "mejla", "kopiera", "arkivera", "diarieföra", "attestera",
        "räkna", "sortera", "stämma av", "flytta", "städa", "ladda", "byta", "laga", "felanmäla", "låsa",
        "logga in i", "återställa", "söka", "jämföra", "föra över", "läsa in", "skriva om", "översätta",
        "förklara", "påminna om", "ställa in", "avboka", "omboka", "bemanna", "fakturera", "kontera", "inventera",
        "märka", "packa", "köra ut", "dela ut", "samla in", "följa upp", "utvärdera", "mäta", "väga", "tömma",
    ]

    static let adjectives = [
        "gamla", "nya", "digitala", "manuella", "krångliga", "trasiga", "dubbla", "gemensamma", "samma", "egna",
        "tunga", "långsamma", "otydliga", "felaktiga", "olåsta", "tomma", "fulla", "dyra", "onödiga", "extra",
        "tillfälliga", "ordinarie", "centrala", "lokala", "utskrivna", "inlästa", "saknade", "försenade",
        "handskrivna", "inaktuella", "överbokade", "glömda", "borttappade", "delade", "separata", "automatiska",
    ]

    static let staff = [
        "undersköterskorna", "lärarna", "handläggarna", "rektorn", "chefen", "vikarierna", "kockarna",
        "vaktmästaren", "socialsekreterarna", "arbetsterapeuten", "sjuksköterskorna", "enhetschefen",
        "assistenterna", "bibliotekarien", "fritidsledarna", "ingenjörerna", "inspektörerna", "controllern",
        "registratorn", "lokalvårdarna", "barnskötarna", "fysioterapeuten", "kuratorn", "skolsköterskan",
        "förvaltaren", "projektledaren", "systemförvaltaren", "lönehandläggarna", "nämndsekreteraren",
    ]

    static let contexts = [
        "varje vecka", "på papper", "i tre olika system", "för hand", "per telefon", "innan mötet", "på helgerna",
        "när någon är sjuk", "vid varje skiftbyte", "i början av terminen", "efter varje hembesök", "två gånger",
        "utan att någon vet varför", "med fel uppgifter", "i ett kalkylark", "på fel avdelning", "varje morgon",
        "på kvällarna", "vid månadsskiftet", "inför semestern", "på nätterna", "i slutet av året", "varje fredag",
        "när det är rött dagar", "vid varje nyanställning", "i två exemplar", "på tre ställen", "i sms",
    ]
    static let openings = [
        "Det tar för lång tid att", "Vi måste", "Ingen vet hur man ska", "Det är krångligt att", "Varje gång måste vi",
        "Nyanställda vet inte hur man ska", "Det går inte att", "Vi lägger mycket tid på att", "Det är svårt att",
        "Vi behöver ofta", "Hos oss får man", "Varför måste vi", "Jag önskar att vi kunde slippa",
    ]
    static let consequences = [
        "så brukarna får vänta", "vilket tar en timme om dagen", "och det blir fel ibland", "så eleverna blir utan",
        "och det kostar mycket", "så personalen blir stressad", "och ingen hinner med", "så vi får göra om det",
        "och då tappar vi information", "så invånarna ringer flera gånger", "vilket skapar dubbelarbete",
        "och det blir irriterat i gruppen", "så det blir övertid", "och det är ett arbetsmiljöproblem",
    ]
    static let problems = [
        "tar flera minuter", "krånglar hela tiden", "fungerar inte", "är alltid fullbokad", "har fel uppgifter",
        "hänger sig", "går inte att hitta", "visar fel", "är utskriven i fel version", "saknas ofta",
        "loggar ut oss", "tappar bort ändringar", "kräver tre underskrifter", "är låst på helgerna",
    ]

    /// A vocabulary drawn Zipf-like: P(rank r) ∝ 1/(r+1)^exponent.
    struct Zipf: Sendable {
        let cumulative: [Double]
        init(count: Int, exponent: Double = 1.0) {
            var total = 0.0
            var cumulative: [Double] = []
            cumulative.reserveCapacity(count)
            for rank in 0..<count {
                total += 1 / pow(Double(rank + 1), exponent)
                cumulative.append(total)
            }
            self.cumulative = cumulative.map { $0 / total }
        }
        func index(_ generator: inout SplitMix64) -> Int {
            let u = Double(generator.next() >> 11) / Double(1 << 53)
            var low = 0, high = cumulative.count - 1
            while low < high {
                let mid = (low + high) / 2
                if cumulative[mid] < u { low = mid + 1 } else { high = mid }
            }
            return low
        }
    }

    /// Every compound (first × last part), in a fixed shuffled order: their ranks in the Zipf draw.
    static let compounds: [(String, String, String)] = {
        var all = compoundFirsts.flatMap { first in
            compoundLasts.map { last in (first + last.0, first + last.1, first + last.2) }
        }
        var generator = SplitMix64(seed: 14)
        all.shuffle(using: &generator)
        return all
    }()

    struct Vocabulary: Sendable {
        let nouns = Zipf(count: Organisation.nouns.count)
        let compounds = Zipf(count: Organisation.compounds.count)
        let places = Zipf(count: Organisation.places.count, exponent: 0.9)
        let systems = Zipf(count: Organisation.systems.count, exponent: 1.1)
        let verbs = Zipf(count: Organisation.verbs.count)
        let adjectives = Zipf(count: Organisation.adjectives.count)
        let staff = Zipf(count: Organisation.staff.count)
        let small = Zipf(count: 16)
    }
    static let vocabulary = Vocabulary()

    /// A problem as a person writes it: one line to a long paragraph of workplace words, Zipf-like (a few
    /// very common, most rare), with compounds, places, systems, sometimes typos or no å, ä, ö.
    func problem(using generator: inout SplitMix64) -> String {
        Self.text(using: &generator)
    }

    static func text(using g: inout SplitMix64, suggestion: Bool = false) -> String {
        let v = vocabulary
        func pick<T>(_ items: [T], _ zipf: Zipf) -> T { items[min(items.count - 1, zipf.index(&g))] }
        func pickSmall<T>(_ items: [T]) -> T { items[min(items.count - 1, v.small.index(&g) % items.count)] }
        func chance(_ p: Double) -> Bool { Double(g.next() % 1_000_000) / 1_000_000 < p }
        func number(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(g.next() % UInt64(range.count)) }
        /// A noun phrase: a compound (most of the vocabulary) or a common noun.
        func noun() -> String {
            if chance(0.5) {
                let (base, definite, plural) = pick(compounds, v.compounds)
                switch g.next() % 3 {
                case 0: return base
                case 1: return definite
                default: return plural
                }
            }
            return pick(nouns, v.nouns)
        }
        func place() -> String { pick(places, v.places) }
        func system() -> String { pick(systems, v.systems) }
        func verb() -> String { pick(verbs, v.verbs) }
        func adjective() -> String { pick(adjectives, v.adjectives) }
        func role() -> String { pick(staff, v.staff) }

        func sentence() -> String {
            switch g.next() % 14 {
            case 0: return "\(pickSmall(openings)) \(verb()) \(noun()) \(pickSmall(contexts)), \(pickSmall(consequences))."
            case 1: return "\(noun().capitalizedFirst) i \(system()) \(pickSmall(problems)) \(pickSmall(contexts))."
            case 2: return "På \(place()) har vi \(adjective()) \(noun()) som ingen vill \(verb())."
            case 3: return "Vi brukar \(verb()) \(noun()) \(pickSmall(contexts)) och sedan måste \(role()) \(verb()) \(noun()) i \(system())."
            case 4: return "\(pickSmall(consequences).capitalizedFirst)."
            case 5: return "Förra veckan fick \(role()) vänta \(number(5...90)) minuter på \(noun())."
            case 6: return "\(role().capitalizedFirst) på \(place()) måste \(verb()) \(noun()) \(pickSmall(contexts))."
            case 7: return "Det gäller också \(noun()) och \(noun())."
            case 8: return "\(noun().capitalizedFirst) \(pickSmall(problems)), och \(noun()) \(pickSmall(problems))."
            case 9: return "Vi har \(number(2...12)) \(adjective()) \(noun()) men bara \(number(1...3)) \(noun()) i \(system())."
            case 10: return "\(pickSmall(openings)) \(verb()) \(adjective()) \(noun()) i både \(system()) och \(system())."
            case 11: return "Det är samma sak med \(noun()) på \(place()) och i \(place())."
            case 12: return "\(role().capitalizedFirst) lägger \(number(1...6)) timmar i veckan på \(noun()) \(pickSmall(contexts))."
            default: return "Kan vi \(verb()) \(noun()) direkt i \(system()) i stället för \(noun())?"
            }
        }
        func proposal() -> String {
            switch g.next() % 5 {
            case 0: return "Ett gemensamt digitalt formulär i stället för papper."
            case 1: return "Vi borde \(verb()) \(noun()) i \(system()) direkt."
            case 2: return "Gör \(noun()) \(adjective()) och lägg \(noun()) på intranätet."
            case 3: return "En \(adjective()) \(noun()) för hela \(place()), som \(role()) ansvarar för."
            default: return "Köp in fler \(noun()) och ta bort \(noun())."
            }
        }

        // Lengths as people write: median about three sentences, some a single line, a few long paragraphs.
        let u1 = max(1e-12, Double(g.next() >> 11) / Double(1 << 53))
        let u2 = Double(g.next() >> 11) / Double(1 << 53)
        let normal = (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
        let count = suggestion ? 1 + Int(g.next() % 2) : min(12, max(1, Int(exp(1.1 + 0.6 * normal))))
        var text = (0..<count).map { _ in suggestion ? proposal() : sentence() }.joined(separator: " ")

        // Typos: about one word in sixty.
        var words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        for index in words.indices where words[index].count >= 4 && chance(1.0 / 60) {
            var letters = Array(words[index])
            let at = 1 + Int(g.next() % UInt64(letters.count - 2))
            switch g.next() % 4 {
            case 0: letters.swapAt(at, at - 1)
            case 1: letters.remove(at: at)
            case 2: letters.insert(letters[at], at: at)
            default: letters[at] = Array("aeiouynrstlkm")[Int(g.next() % 13)]
            }
            words[index] = String(letters)
        }
        text = words.joined(separator: " ")
        // Some write without å, ä, ö (a phone or a keyboard without them).
        if chance(0.03) {
            text = String(text.map { c -> Character in
                switch c {
                case "å", "ä": "a"
                case "Å", "Ä": "A"
                case "ö": "o"
                case "Ö": "O"
                default: c
                }
            })
        }
        return text
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
        let solution = generator.next() % 5 < 2 ? Self.text(using: &generator, suggestion: true) : nil
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
            solution: solution,
            unit: unit, stage: .inkommen, guide: nil, createdAt: created, updatedAt: submitted, submittedAt: submitted)
        try tx.saveIdea(idea)
        // As the bot does when an idea is submitted (`saveIdea` has indexed its stems): its similar ideas are
        // kept for the digests. Finding them is most of the seeding's time, so only the ideas a digest of the
        // last weeks reads get them (`similarityDays`).
        if now.timeIntervalSince(submitted) < Self.similarityDays * 86_400 {
            try tx.recordSimilarity(of: idea, at: submitted)
        }
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

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
