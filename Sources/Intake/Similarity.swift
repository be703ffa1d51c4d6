import Foundation

/// An earlier idea close to a new one.
public struct SimilarIdea: Sendable, Equatable {
    public var number: Int
    public var title: String
    public var stage: IdeaStage
    /// 0…1, see `Similarity.score`.
    public var score: Double

    public init(number: Int, title: String, stage: IdeaStage, score: Double) {
        self.number = number
        self.title = title
        self.stage = stage
        self.score = score
    }
}

/// Swedish-aware text likeness for "someone had a similar idea" (SkavBot.docc/Intake.md).
///
/// The FTS5 index (`idea_fts`, tokenizer `unicode61 remove_diacritics 0`: å/ä/ö stay distinct, case-folded)
/// finds candidates with a prefix query of the new idea's distinctive stems (see `SimilarSearch.swift`); each is scored with
/// `score`, a Dice coefficient over stems where a stem also matches a longer word it begins (Swedish
/// compounds: *tolk* ~ *tolkbokning*). Candidates at or above `threshold` are close matches.
/// The threshold was chosen on the labelled pairs in `Tests/IntakeTests/SimilarityTests.swift`.
public enum Similarity {
    /// Chosen on the labelled set (see the tests, which print precision and recall).
    public static let threshold = 0.30

    /// Words that say nothing about the topic. Case-folded, diacritics kept.
    static let stopWords: Set<String> = [
        "alla", "allt", "alltid", "andra", "att", "av", "bara", "blir", "bli", "borde", "da", "där", "den", "denna",
        "det", "detta", "dessa", "dom", "du", "efter", "eller", "en", "ett", "finns", "for", "från", "få", "får",
        "för", "gör", "göra", "ha", "har", "hade", "hela", "hos", "hur", "här", "i", "in", "inga", "inget", "inte",
        "jag", "kan", "kunna", "kunde", "man", "med", "mellan", "men", "mer", "mig", "mina", "mitt", "mot", "mycket",
        "måste", "ni", "nu", "när", "någon", "något", "några", "och", "också", "om", "oss", "på", "samma", "sedan",
        "sig", "sin", "sina", "ska", "skulle", "som", "så", "till", "tar", "ta", "tid", "under", "upp", "ut", "utan",
        "vad", "var", "vara", "varje", "vi", "vill", "vår", "våra", "vårt", "än", "är", "åt", "över", "ofta",
        "lång", "långt", "länge", "olika", "ingen", "två", "tre", "mest", "många", "genom", "eftersom", "dem", "de",
        "the", "and", "of", "to", "is", "it", "we", "our", "for", "on", "with", "that", "this", "be", "are",
    ]

    /// Common Swedish inflection endings, longest first.
    static let suffixes = [
        "ningarna", "ningarnas", "ningar", "ningen", "arnas", "ernas", "ornas", "heten", "heter", "arna", "erna",
        "orna", "ande", "ende", "ning", "aren", "het", "are", "ade", "ar", "er", "or", "en", "et", "na", "an", "a",
        "e", "s",
    ]

    /// The endings by their last character, longest first (a word can only end with those of its own last
    /// character: a stem is taken of every word of every candidate of a lookup).
    static let suffixesByLast: [Character: [String]] = suffixes.reduce(into: [:]) { byLast, ending in
        if let last = ending.last { byLast[last, default: []].append(ending) }
    }

    /// Strips one common ending, keeping at least three letters.
    public static func stem(_ word: String) -> String {
        guard let last = word.last, let endings = suffixesByLast[last] else { return word }
        for suffix in endings where word.hasSuffix(suffix) && word.count - suffix.count >= 3 {
            return String(word.dropLast(suffix.count))
        }
        return word
    }

    /// The distinct stems of a text: case-folded (diacritics kept) and in Unicode's composed form (NFC), stop
    /// words and one- and two-letter words removed, in order of first appearance.
    public static func terms(_ text: String) -> [String] {
        let words = composed(text.lowercased()).split(whereSeparator: { !isWordCharacter($0) }).map(String.init)
        var seen: Set<String> = []
        var result: [String] = []
        for word in words where word.count >= 3 && !stopWords.contains(word) && !word.allSatisfy(\.isNumber) {
            let stemmed = stem(word)
            if seen.insert(stemmed).inserted { result.append(stemmed) }
        }
        return result
    }

    /// The text in Unicode's composed form (NFC), so that equal stems have equal bytes ("å" typed as "a" and a
    /// combining ring is "å"). Text whose every character is below U+0300 (every UTF-8 byte below 0xCC:
    /// ASCII, Swedish, most of Latin) is composed already and returned as it is.
    static func composed(_ text: String) -> String {
        text.utf8.allSatisfy { $0 < 0xCC } ? text : text.precomposedStringWithCanonicalMapping
    }

    /// A letter or a digit. ASCII is decided on its value (the same answer: the only ASCII letters and numbers
    /// are a–z, A–Z and 0–9), without the Unicode property lookup that was a third of splitting a text.
    @inline(__always)
    static func isWordCharacter(_ character: Character) -> Bool {
        if let ascii = character.asciiValue {
            return (ascii >= 97 && ascii <= 122) || (ascii >= 65 && ascii <= 90) || (ascii >= 48 && ascii <= 57)
        }
        return character.isLetter || character.isNumber
    }

    /// Two stems match when equal, or when the shorter (at least four letters) begins the longer.
    static func matches(_ a: String, _ b: String) -> Bool {
        if a == b { return true }
        let (short, long) = a.count <= b.count ? (a, b) : (b, a)
        return short.count >= 4 && long.hasPrefix(short)
    }

    /// Dice coefficient with prefix matching: the share of both texts' stems that find a match in the other.
    /// This runs for every candidate of every similar-idea lookup, so a pair is compared (`matches`) only when
    /// the two stems begin with the same byte: stems from `terms` are composed (NFC), and two composed
    /// strings that differ in their first byte are neither equal nor one the beginning of the other.
    public static func score(_ a: [String], _ b: [String]) -> Double {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        let firstB = b.map { $0.utf8.first }
        var matchedB = [Bool](repeating: false, count: b.count)
        var matchedA = 0
        for x in a {
            let first = x.utf8.first
            var found = false
            for j in b.indices where firstB[j] == first && matches(x, b[j]) {
                found = true
                matchedB[j] = true
            }
            if found { matchedA += 1 }
        }
        return Double(matchedA + matchedB.count(where: { $0 })) / Double(a.count + b.count)
    }

    public static func score(_ a: String, _ b: String) -> Double { score(terms(a), terms(b)) }

    /// The text of an idea that is compared: the friction and the suggested solution.
    public static func text(of idea: Idea) -> String { text(problem: idea.problem, solution: idea.solution) }

    /// The same from the two columns, for the store's readers and migrations.
    public static func text(problem: String, solution: String?) -> String {
        [problem, solution ?? ""].joined(separator: " ")
    }
}
