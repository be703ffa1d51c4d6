import Chat
import Foundation
import Testing

@testable import Intake
@testable import Store
import Prompts
import GRDB

/// The labelled set the similar-ideas threshold was chosen on: realistic Swedish idea pairs, written
/// differently, marked similar (the same friction or the same fix) or not (same workplace, other topic).
/// `swift test --filter SimilarityTests` prints precision and recall at the chosen threshold and a sweep.
enum LabelledPairs {
    static let similar: [(String, String)] = [
        ("Det tar för lång tid att boka tolk till hembesök, vi väntar ofta en vecka.",
         "Tolkbokningen är så långsam att hembesöken blir försenade."),
        ("Vi skriver samma uppgifter i tre olika system när en brukare flyttar.",
         "När en brukare byter boende måste uppgifterna matas in i flera system, dubbelarbete."),
        ("Skrivaren på plan 2 krånglar varje morgon.",
         "Skrivaren på andra våningen fungerar nästan aldrig på morgonen."),
        ("Föräldrar hittar inte blanketten för ansökan om skolskjuts på webben.",
         "Blanketten för skolskjuts är svår att hitta på kommunens webbplats."),
        ("Hemtjänstens nyckelhantering tar mycket tid, vi hämtar nycklar på kontoret varje morgon.",
         "Digitala lås i hemtjänsten skulle spara tiden vi lägger på att hämta nycklar."),
        ("Vi saknar ett enkelt sätt att boka konferensrum, det blir dubbelbokningar.",
         "Dubbelbokade konferensrum hela tiden, bokningen av rum behöver bli enklare."),
        ("Nyanställda får inte sina datorkonton första dagen.",
         "Första arbetsdagen har nya medarbetare ofta inget konto till datorn."),
        ("Matsvinnet i skolmatsalen är stort, mycket mat slängs.",
         "Skolans matsal slänger mycket mat varje dag, kan vi minska svinnet?"),
        ("Parkeringen vid äldreboendet är alltid full så anhöriga kan inte parkera.",
         "Anhöriga som besöker äldreboendet hittar ingen parkering."),
        ("Lärare lägger mycket tid på att rätta prov för hand.",
         "Rättning av prov tar lärarnas kvällar, digitala prov skulle hjälpa."),
        ("Bilarna i hemtjänsten är ofta smutsiga och saknar bränsle när vi ska köra.",
         "Hemtjänstbilarna är tomma på bränsle när nästa pass tar över."),
        ("Vi får för många mejl med kopior till alla, inkorgen svämmar över.",
         "Mejlen med kopia till hela arbetsplatsen gör att viktiga mejl försvinner."),
        ("Det är svårt att få tag på IT-supporten per telefon.",
         "Telefonkön till IT-supporten är timslång."),
        ("Brukare med hörselnedsättning hör inte när vi ringer på dörren.",
         "En blinkande dörrklocka för brukare med nedsatt hörsel skulle hjälpa hemtjänsten."),
        ("Vi skriver ut scheman på papper varje vecka och sätter upp dem på väggen.",
         "Scheman skrivs ut på papper och blir inaktuella, gör schemat digitalt."),
        ("Snöröjningen vid förskolan kommer för sent, föräldrar halkar vid grinden.",
         "Halkan vid förskolans grind på morgonen, snöröjningen behöver komma tidigare."),
        ("Ansökan om bygglov tar för lång tid för att handlingar saknas.",
         "Bygglovsansökningar fastnar för att handlingarna inte är kompletta."),
        ("Vi behöver ett gemensamt ställe för rutiner, nu ligger de i olika mappar.",
         "Rutinerna finns utspridda i mappar, samla rutiner på ett ställe."),
        ("Elever glömmer sina lösenord och lektionen försenas.",
         "Lösenord som elever glömmer stjäl tid från lektionen."),
        ("Det saknas laddare till surfplattorna i hemtjänsten.",
         "Surfplattorna i hemtjänsten är urladdade, vi har för få laddare."),
        ("Fakturor från leverantörer kommer på papper och måste skannas.",
         "Pappersfakturor från leverantörer borde komma som e-faktura i stället för att skannas."),
        ("Besökare hittar inte receptionen i stadshuset.",
         "Skyltningen till receptionen i stadshuset är dålig, besökare går vilse."),
        ("Vi slänger fungerande möbler när kontor flyttar.",
         "När kontoret flyttar slängs möbler som fungerar, återbruk av möbler."),
        ("Larmen från trygghetslarmen kommer till fel grupp på natten.",
         "Trygghetslarm på natten hamnar hos fel nattgrupp."),
    ]

    static let different: [(String, String)] = [
        ("Det tar för lång tid att boka tolk till hembesök, vi väntar ofta en vecka.",
         "Skrivaren på plan 2 krånglar varje morgon."),
        ("Vi skriver samma uppgifter i tre olika system när en brukare flyttar.",
         "Matsvinnet i skolmatsalen är stort, mycket mat slängs."),
        ("Föräldrar hittar inte blanketten för ansökan om skolskjuts på webben.",
         "Ansökan om bygglov tar för lång tid för att handlingar saknas."),
        ("Hemtjänstens nyckelhantering tar mycket tid, vi hämtar nycklar på kontoret varje morgon.",
         "Bilarna i hemtjänsten är ofta smutsiga och saknar bränsle när vi ska köra."),
        ("Vi saknar ett enkelt sätt att boka konferensrum, det blir dubbelbokningar.",
         "Det tar för lång tid att boka tolk till hembesök, vi väntar ofta en vecka."),
        ("Nyanställda får inte sina datorkonton första dagen.",
         "Elever glömmer sina lösenord och lektionen försenas."),
        ("Parkeringen vid äldreboendet är alltid full så anhöriga kan inte parkera.",
         "Snöröjningen vid förskolan kommer för sent, föräldrar halkar vid grinden."),
        ("Lärare lägger mycket tid på att rätta prov för hand.",
         "Vi skriver ut scheman på papper varje vecka och sätter upp dem på väggen."),
        ("Vi får för många mejl med kopior till alla, inkorgen svämmar över.",
         "Det är svårt att få tag på IT-supporten per telefon."),
        ("Brukare med hörselnedsättning hör inte när vi ringer på dörren.",
         "Larmen från trygghetslarmen kommer till fel grupp på natten."),
        ("Det saknas laddare till surfplattorna i hemtjänsten.",
         "Fakturor från leverantörer kommer på papper och måste skannas."),
        ("Besökare hittar inte receptionen i stadshuset.",
         "Vi behöver ett gemensamt ställe för rutiner, nu ligger de i olika mappar."),
        ("Vi slänger fungerande möbler när kontor flyttar.",
         "Vi skriver samma uppgifter i tre olika system när en brukare flyttar."),
        ("Matsvinnet i skolmatsalen är stort, mycket mat slängs.",
         "Vi slänger fungerande möbler när kontor flyttar."),
        ("Hemtjänsten behöver fler bilar på morgonen.",
         "Det saknas laddare till surfplattorna i hemtjänsten."),
        ("Elever i årskurs nio behöver mer studievägledning.",
         "Lärare lägger mycket tid på att rätta prov för hand."),
        ("Tvättstugan på gruppboendet är trasig varannan vecka.",
         "Brukare med hörselnedsättning hör inte när vi ringer på dörren."),
        ("Vi borde ha gemensam fika för hela förvaltningen en gång i månaden.",
         "Det är svårt att få tag på IT-supporten per telefon."),
        ("Belysningen på gång- och cykelvägen till skolan är dålig.",
         "Parkeringen vid äldreboendet är alltid full så anhöriga kan inte parkera."),
        ("Socialsekreterare har för många ärenden var.",
         "Vi skriver ut scheman på papper varje vecka och sätter upp dem på väggen."),
        ("Kön till förskoleplats är lång i centrala stan.",
         "Snöröjningen vid förskolan kommer för sent, föräldrar halkar vid grinden."),
        ("Det finns inga cykelställ vid stadshuset.",
         "Besökare hittar inte receptionen i stadshuset."),
        ("Vi behöver bättre rutiner för introduktion av vikarier.",
         "Nyanställda får inte sina datorkonton första dagen."),
    ]
}

@Suite struct SimilarityTests {
    static func evaluate(at threshold: Double) -> (precision: Double, recall: Double, tp: Int, fp: Int, fn: Int) {
        let tp = LabelledPairs.similar.filter { Similarity.score($0.0, $0.1) >= threshold }.count
        let fp = LabelledPairs.different.filter { Similarity.score($0.0, $0.1) >= threshold }.count
        let fn = LabelledPairs.similar.count - tp
        let precision = tp + fp == 0 ? 1 : Double(tp) / Double(tp + fp)
        let recall = Double(tp) / Double(LabelledPairs.similar.count)
        return (precision, recall, tp, fp, fn)
    }

    @Test func labelledSetIsLargeEnough() {
        #expect(LabelledPairs.similar.count + LabelledPairs.different.count >= 40)
        #expect(LabelledPairs.similar.count >= 20 && LabelledPairs.different.count >= 20)
    }

    /// The bar: precision ≥ 0.9 (telling someone about an unrelated idea is worse than missing one),
    /// recall ≥ 0.7.
    @Test func precisionAndRecallAtTheChosenThreshold() {
        for step in stride(from: 0.15, through: 0.55, by: 0.05) {
            let r = Self.evaluate(at: step)
            print(String(format: "similarity sweep: threshold %.2f precision %.2f recall %.2f", step, r.precision, r.recall))
        }
        let result = Self.evaluate(at: Similarity.threshold)
        print(
            String(
                format: "similarity: threshold %.2f on %d labelled pairs: precision %.2f recall %.2f (tp %d, fp %d, fn %d)",
                Similarity.threshold, LabelledPairs.similar.count + LabelledPairs.different.count, result.precision,
                result.recall, result.tp, result.fp, result.fn))
        for (a, b) in LabelledPairs.similar where Similarity.score(a, b) < Similarity.threshold {
            print(String(format: "  missed (%.2f): %@ | %@", Similarity.score(a, b), a, b))
        }
        for (a, b) in LabelledPairs.different where Similarity.score(a, b) >= Similarity.threshold {
            print(String(format: "  false match (%.2f): %@ | %@", Similarity.score(a, b), a, b))
        }
        #expect(result.precision >= 0.9)
        #expect(result.recall >= 0.7)
    }

    @Test func swedishTerms() {
        #expect(Similarity.terms("Tolkarna och TOLKEN") == ["tolk"])
        // å/ä/ö stay distinct letters; stop words go.
        #expect(Similarity.terms("Det är en båt och ett bät") == ["båt", "bät"])
        #expect(Similarity.score("tolkbokning", "boka tolk") > 0)
        #expect(Similarity.score("", "något") == 0)
    }
}

/// Words are split where `Character.isLetter` and `isNumber` say, ASCII decided on its value.
@Suite struct WordCharacterTests {
    @Test func asciiIsDecidedAsCharacterPropertiesDo() {
        for value in UInt8(0)...UInt8(127) {
            let character = Character(Unicode.Scalar(value))
            #expect(Similarity.isWordCharacter(character) == (character.isLetter || character.isNumber), "\(value)")
        }
        #expect(Similarity.isWordCharacter("\r\n") == false)
        for character: Character in ["å", "Ä", "ö", "é", "e\u{301}", "ß", "½", "日"] {
            #expect(Similarity.isWordCharacter(character) == (character.isLetter || character.isNumber))
        }
        #expect(Similarity.terms("Tolkbokningen, skrivaren; 3D-skrivaren\r\nåtta") == ["tolkbok", "skriv", "ått"])
    }
}

/// The search finds what the score matches: in a small intake every stem is asked for, so each labelled
/// pair the score calls similar is found by a lookup, in both directions, among all the labelled texts. A
/// stem matches a longer one it begins, whichever of the two the new idea holds ("tolk" ~ "tolkbok").
@Suite struct SimilarSearchRecallTests {
    @Test func everyPairTheScoreMatchesIsFound() throws {
        let texts = Array(Set(LabelledPairs.similar.flatMap { [$0.0, $0.1] } + LabelledPairs.different.flatMap { [$0.0, $0.1] })).sorted()
        let store = try IntakeStore()
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        try store.write { tx in
            for (offset, text) in texts.enumerated() {
                try tx.saveIdea(
                    Idea(
                        number: offset + 1, author: UserID("@p\(offset):kommun.se"), title: "Idé \(offset + 1)", problem: text,
                        stage: .inkommen, createdAt: now, updatedAt: now, submittedAt: now))
            }
        }
        var checked = 0
        for (a, b) in LabelledPairs.similar + LabelledPairs.different where Similarity.score(a, b) >= Similarity.threshold {
            for (stored, asked) in [(a, b), (b, a)] {
                let number = try #require(texts.firstIndex(of: stored)) + 1
                let found = try store.read { try $0.similarIdeas(to: asked, excluding: nil, limit: texts.count) }
                #expect(found.contains { $0.number == number }, "asked \(asked), not found: \(stored)")
                checked += 1
            }
        }
        #expect(checked >= 30)
    }

    @Test func aShorterStemOfTheNewIdeaFindsTheLongerAndTheLongerTheShorter() throws {
        let store = try IntakeStore()
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        try store.write { tx in
            try tx.saveIdea(
                Idea(number: 1, author: "@a:kommun.se", title: "Tolk", problem: "Boka tolk", stage: .inkommen,
                    createdAt: now, updatedAt: now, submittedAt: now))
            try tx.saveIdea(
                Idea(number: 2, author: "@b:kommun.se", title: "Tolkbokning", problem: "Tolkbokningen krånglar",
                    stage: .inkommen, createdAt: now, updatedAt: now, submittedAt: now))
        }
        let longer = try store.read { try $0.candidates(Similarity.terms("Tolkbokningen")) }
        #expect(Set(longer) == [1, 2])
        let shorter = try store.read { try $0.candidates(Similarity.terms("tolk")) }
        #expect(Set(shorter) == [1, 2])
    }
}

/// The search asks the index only for distinctive stems, from the counts kept when ideas are saved submitted.
@Suite struct DistinctiveStemTests {
    static let now = Date(timeIntervalSince1970: 1_790_000_000)

    /// 2,500 ideas that all mention the printer: more postings than one lookup may rank.
    static func printerIntake() throws -> IntakeStore {
        let store = try IntakeStore()
        try store.write { tx in
            for number in 1...2_500 {
                let idea = Idea(
                    number: number, author: UserID("@p\(number):kommun.se"), title: "Skrivaren \(number)",
                    problem: "Skrivaren på plan \(number) strular igen", stage: .inkommen, createdAt: now, updatedAt: now,
                    submittedAt: now)
                try tx.saveIdea(idea)
            }
        }
        return store
    }

    @Test func aStemHalfTheIntakeHoldsIsNotAskedForAndTheRareOneFinds() throws {
        let store = try Self.printerIntake()
        let now = Self.now
        try store.write { tx in
            let tolk = Idea(
                number: 2_501, author: "@anna:kommun.se", title: "Tolkbokning",
                problem: "Tolkbokningen till skrivaren tar för lång tid", stage: .inkommen, createdAt: now,
                updatedAt: now, submittedAt: now)
            try tx.saveIdea(tolk)
        }
        try store.read { tx in
            let query = try #require(try tx.distinctiveQuery(Similarity.terms("Skrivaren och tolkbokningen krånglar")))
            #expect(!query.contains("skrivar"), "the common stem is left out: \(query)")
            #expect(query.contains("tolkbok"))
            let found = try tx.similarIdeas(to: "Tolkbokningen tar lång tid för skrivaren", excluding: nil, limit: 3)
            #expect(found.first?.number == 2_501)
            // Only common stems: nothing distinctive to ask for.
            #expect(try tx.distinctiveQuery(Similarity.terms("skrivaren strular")) == nil)
        }
    }

    /// The index is asked for a stem's prefix, so a rare stem that begins a common word costs what the
    /// common word does: "skri" (a typo) is held by no idea, but begins "skriv" (of "skrivaren"), held by all.
    @Test func aRareStemThatBeginsACommonOneCountsItsPostings() throws {
        let store = try Self.printerIntake()
        try store.read { tx in
            #expect(Similarity.terms("skri skrivaren") == ["skri", "skriv"])
            let frequencies = try tx.termFrequencies(["skri", "skriv", "tolk"])
            #expect(frequencies == ["skri": 2_500, "skriv": 2_500])
            let query = try tx.distinctiveQuery(Similarity.terms("skri tolkbokningen"))
            #expect(query == "\"tolkbok\"*")
        }
    }
}
