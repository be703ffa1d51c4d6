/// Notices text that reads like one particular client's case: a client-case word (LVU, orosanmälan,
/// placering, …) within `window` words of a name, an age, a date or a (masked) identity number.
///
/// Generic talk about the work ("handläggningen av LVU-ärenden tar för lång tid") has no such marker
/// nearby and gives no warning.
enum ClientCase {
    /// How many words either side of a client-case word are looked at.
    static let window = 8

    struct Token {
        var text: String
        /// Lowercased.
        var lower: String
        /// Nothing but punctuation that ends or opens a sentence (or nothing at all) comes before it.
        var sentenceStart: Bool
        /// Written `[…]`, as the scanner's masks are.
        var bracketed: Bool
        /// A full stop right after it ("K.").
        var dotAfter: Bool
    }

    static func words(in text: String) -> [String] {
        if cannotHoldCaseWord(text) { return [] }
        let tokens = tokenize(text)
        var found: [String] = []
        for (index, token) in tokens.enumerated() where isCaseWord(token) {
            let low = max(0, index - window)
            let high = min(tokens.count - 1, index + window)
            let near = (low...high).contains { $0 != index && isMarker(at: $0, in: tokens) }
            if near, !found.contains(token.text) { found.append(token.text) }
        }
        return found
    }

    /// True when no word of `text` can be a client-case word, known from its bytes without tokenizing it
    /// (most messages; tokenizing by Characters was most of a short message's scan). Only for text of ASCII
    /// and two-byte Latin-1 letters (lead byte 0xC3, none of which lowercases to ASCII): a case word then
    /// holds, in the text with A–Z lowercased, an acronym, "placera" (every exact word begins so) or a stem's
    /// ASCII key (`stemKeys`), byte for byte. Any other text is tokenized (a Kelvin sign lowercases to "k").
    static func cannotHoldCaseWord(_ text: String) -> Bool {
        var folded: [UInt8] = []
        folded.reserveCapacity(text.utf8.count)
        var continuation = false
        for byte in text.utf8 {
            if continuation {
                continuation = false
            } else if byte >= 0x80 {
                guard byte == 0xC3 else { return false }
                continuation = true
            }
            folded.append(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
        }
        return !caseWordKeys.contains { holds(folded, $0) }
    }

    /// What a client-case word holds byte for byte in lowercased text (`cannotHoldCaseWord`).
    static let caseWordKeys: [[UInt8]] = acronyms.map { Array($0.utf8) } + [Array("placera".utf8)] + stemKeys.map(\.key)

    // MARK: Tokens

    /// Words: letters and digits, joined by `-`, `:`, `/` or `.` between two of them ("LVU-ärenden",
    /// "LVU:s", "14-årig", "2024-03-15", "15/3").
    static func tokenize(_ text: String) -> [Token] {
        let chars = Array(text)
        var tokens: [Token] = []
        var index = 0
        var gap = ""  // what stood between the previous token and this one
        while index < chars.count {
            let c = chars[index]
            guard c.isLetter || c.isDigitChar else {
                gap.append(c)
                index += 1
                continue
            }
            let start = index
            var end = index + 1
            while end < chars.count {
                let e = chars[end]
                if e.isLetter || e.isDigitChar {
                    end += 1
                } else if "-:/.\u{2011}".contains(e), end + 1 < chars.count, chars[end + 1].isLetter || chars[end + 1].isDigitChar {
                    end += 2
                } else {
                    break
                }
            }
            let word = String(chars[start..<end])
            let sentenceStart = tokens.isEmpty || gap.contains { ".!?\n:;•*\"“”«»>".contains($0) }
            let bracketed = start > 0 && chars[start - 1] == "[" && end < chars.count && chars[end] == "]"
            let dotAfter = end < chars.count && chars[end] == "."
            tokens.append(
                Token(text: word, lower: word.lowercased(), sentenceStart: sentenceStart, bracketed: bracketed, dotAfter: dotAfter))
            gap = ""
            index = end
        }
        return tokens
    }

    // MARK: Client-case words

    static let acronyms: Set<String> = ["lvu", "lvm", "lss", "hvb", "lpt", "lrv", "bbic", "sol"]

    /// Word beginnings (and, for the long ones, word parts: "akutplacering", "alkoholmissbruk").
    static let stems: [String] = [
        "orosanmäl", "placering", "familjehem", "jourhem", "umgängesstöd", "umgänget", "försörjningsstöd",
        "biståndsbeslut", "bistånd", "omhänderta", "barnavårdsutredning", "vårdnadsöverflytt", "missbruk",
        "kontaktfamilj", "tvångsvård", "skyddsplacer", "stödboende", "foster",
    ]
    static let exactWords: Set<String> = ["placerad", "placerade", "placerades", "placerats", "placerat"]

    /// Each stem with its longest run of ASCII letters as bytes: a word that holds the stem (as `String`
    /// compares, by canonical equivalence) holds that run byte for byte, because an ASCII letter of the stem
    /// can only match itself with no mark after it. So a word without the run is passed over with one byte
    /// search instead of a `String` search, which was most of a message's scan.
    static let stemKeys: [(stem: String, length: Int, key: [UInt8])] = stems.map { stem in
        var longest: [UInt8] = []
        var run: [UInt8] = []
        for byte in stem.utf8 {
            if byte < 0x80 {
                run.append(byte)
                if run.count > longest.count { longest = run }
            } else {
                run = []
            }
        }
        return (stem, stem.count, longest)
    }

    /// Whether `needle` occurs in `haystack`, byte for byte (an empty needle occurs everywhere). By hand:
    /// the standard library's `Collection.contains(_:)` for a subsequence took 850 times as long here.
    static func holds(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard haystack.count >= needle.count else { return false }
        let first = needle[0]
        var start = 0
        while start <= haystack.count - needle.count {
            if haystack[start] == first {
                var matched = 1
                while matched < needle.count, haystack[start + matched] == needle[matched] { matched += 1 }
                if matched == needle.count { return true }
            }
            start += 1
        }
        return false
    }

    /// The parts of a word between `-`, `:`, `/`, `.` and U+2011. Most words hold none: that is known from
    /// their bytes (U+2011 begins with 0xE2), without comparing every character with each separator, which
    /// was most of `isCaseWord`.
    static func parts(of word: String) -> [Substring] {
        let mayHoldSeparator = word.utf8.contains { $0 == 0x2D || $0 == 0x3A || $0 == 0x2F || $0 == 0x2E || $0 == 0xE2 }
        guard mayHoldSeparator else { return word.isEmpty ? [] : [word[...]] }
        return word.split(whereSeparator: { "-:/.\u{2011}".contains($0) })
    }

    static func isCaseWord(_ token: Token) -> Bool {
        for part in parts(of: token.text) {
            let lower = part.lowercased()
            if acronyms.contains(lower) {
                // "sol" is the sun; the Social Services Act is written SoL.
                if lower == "sol" { if part == "SoL" || part == "SOL" { return true } else { continue } }
                if part.contains(where: \.isUppercase) { return true }
                continue
            }
            if exactWords.contains(lower) { return true }
            // The substring search is costly (it was most of a scan's time): only where it can match.
            let length = lower.count
            let bytes = Array(lower.utf8)
            for (stem, stemLength, key) in stemKeys where holds(bytes, key) {
                if lower.hasPrefix(stem) { return true }
                if stemLength >= 8, length > stemLength, lower.contains(stem) { return true }
            }
        }
        return false
    }

    // MARK: Markers

    static func isMarker(at index: Int, in tokens: [Token]) -> Bool {
        let token = tokens[index]
        if token.bracketed && token.lower == "personnummer" { return true }
        return (isName(token) && !isColleague(at: index, in: tokens)) || isAge(at: index, in: tokens)
            || isDate(at: index, in: tokens)
    }

    /// Words that say the name that follows is a colleague's ("min chef Lena", "handläggaren Sara").
    static let roles: Set<String> = [
        "chef", "chefen", "enhetschef", "enhetschefen", "kollega", "kollegan", "kollegor", "handläggare",
        "handläggaren", "socialsekreterare", "socialsekreteraren", "samordnare", "samordnaren", "rektor", "rektorn",
        "förvaltningschef", "förvaltningschefen", "sekreterare", "sekreteraren", "assistent", "assistenten", "it",
        "hr", "admin", "systemförvaltare", "systemförvaltaren", "sektionschef", "sektionschefen", "colleague",
        "manager", "boss", "teamledare", "teamledaren", "arbetsledare", "arbetsledaren",
    ]
    static let workplaces: Set<String> = ["hr", "it", "växeln", "ekonomi", "kansliet", "receptionen", "supporten", "servicedesk"]

    /// "min chef Lena", "Lena på HR", "Emil från IT".
    static func isColleague(at index: Int, in tokens: [Token]) -> Bool {
        for back in 1...2 where index - back >= 0 {
            if roles.contains(tokens[index - back].lower) { return true }
        }
        if index + 2 < tokens.count, ["på", "från", "i"].contains(tokens[index + 1].lower),
            workplaces.contains(tokens[index + 2].lower)
        {
            return true
        }
        return false
    }

    static func isName(_ token: Token) -> Bool {
        guard let first = token.text.first, first.isUppercase, !token.bracketed else { return false }
        // "K." – an initial.
        if token.text.count == 1 {
            return token.dotAfter && token.text != "I"
        }
        let letters = token.text.filter { $0 != "-" }
        guard letters.allSatisfy(\.isLetter), token.text.dropFirst().contains(where: \.isLowercase) else { return false }
        if isCaseWord(token) { return false }
        let lower = token.lower
        let base = lower.hasSuffix("s") ? String(lower.dropLast()) : lower
        if Lexicon.firstNames.contains(lower) || Lexicon.firstNames.contains(base) { return true }
        if token.sentenceStart { return false }
        if Lexicon.capitalisedWords.contains(lower) || Lexicon.capitalisedWords.contains(base) { return false }
        return true
    }

    static let durationBefore: Set<String> = [
        "i", "på", "under", "över", "efter", "om", "inom", "sedan", "per", "varje", "ca", "cirka", "nästan", "drygt",
        "minst", "max", "högst", "bara", "endast", "än", "till", "från", "in", "for", "after", "over", "under",
    ]
    static let personNouns: Set<String> = [
        "pojke", "flicka", "kille", "tjej", "barn", "son", "dotter", "man", "kvinna", "ungdom", "person", "brukare",
        "klient", "elev", "pojken", "flickan", "killen", "tjejen", "barnet", "sonen", "dottern", "mannen", "kvinnan",
    ]
    static let numberWords: [String] = [
        "ett", "två", "tre", "fyra", "fem", "sex", "sju", "åtta", "nio", "tio", "elva", "tolv", "tretton", "fjorton",
        "femton", "sexton", "sjutton", "arton", "nitton",
    ]

    /// "14-årig", "en 9-åring", "fjortonåringen", "14 år gammal", "pojken, 14 år,".
    static func isAge(at index: Int, in tokens: [Token]) -> Bool {
        let lower = tokens[index].lower
        // A number joined to an age word.
        if let dash = lower.firstIndex(of: "-") {
            let number = lower[..<dash]
            let rest = lower[lower.index(after: dash)...]
            if (1...3).contains(number.count), number.allSatisfy(\.isDigitChar),
                rest.hasPrefix("åring") || rest.hasPrefix("årig") || rest == "års" || rest.hasPrefix("månader")
            {
                return true
            }
        }
        for word in numberWords where lower.hasPrefix(word) {
            let rest = lower.dropFirst(word.count)
            if rest.hasPrefix("åring") || rest.hasPrefix("årig") { return true }
        }
        // A number followed by "år" / "månader".
        guard (1...3).contains(lower.count), lower.allSatisfy(\.isDigitChar), let years = Int(lower), years <= 120,
            index + 1 < tokens.count
        else { return false }
        let next = tokens[index + 1].lower
        guard next == "år" || next == "månader" || next == "mån" || next == "years" else { return false }
        if index + 2 < tokens.count, ["gammal", "gamla", "gammalt", "old"].contains(tokens[index + 2].lower) { return true }
        if index + 2 < tokens.count, ["sedan", "senare", "till", "framåt", "kvar", "ago", "i", "per", "om"].contains(tokens[index + 2].lower)
        {
            return false
        }
        // "en pojke på 14 år" is an age; "i 15 år", "på 3 år", "under 18 år" are not.
        if index > 1, tokens[index - 1].lower == "på", personNouns.contains(tokens[index - 2].lower) { return true }
        if index > 0, durationBefore.contains(tokens[index - 1].lower) { return false }
        return true
    }

    static let months: [String] = [
        "januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november",
        "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "okt", "nov", "dec",
        "january", "february", "march", "may", "june", "july", "august", "october",
    ]
    static let notFromDate: Set<String> = ["från", "fr.o.m", "from", "sedan", "senast", "före", "inför", "t.o.m", "innan", "by"]

    /// "2024-03-15", "15/3", "15/3-24", "3 mars", "den 3:e mars".
    static func isDate(at index: Int, in tokens: [Token]) -> Bool {
        let token = tokens[index].lower
        let previous = index > 0 ? tokens[index - 1].lower : ""
        let beforeThat = index > 1 ? tokens[index - 2].lower : ""
        if notFromDate.contains(previous) || (previous == "den" && notFromDate.contains(beforeThat)) { return false }
        let pieces = token.split(whereSeparator: { $0 == "-" || $0 == "/" || $0 == "." }).map(String.init)
        let numbers = pieces.compactMap { $0.allSatisfy(\.isDigitChar) ? Int($0) : nil }
        if numbers.count == pieces.count, numbers.count >= 2 {
            if pieces.count == 3, pieces[0].count == 4 {
                return (1...12).contains(numbers[1]) && (1...31).contains(numbers[2])
            }
            if token.contains("/"), pieces[0].count <= 2, pieces[1].count <= 2 {
                if token == "24/7" { return false }
                if index + 1 < tokens.count, ["av", "of"].contains(tokens[index + 1].lower) { return false }
                return (1...31).contains(numbers[0]) && (1...12).contains(numbers[1])
            }
            return false
        }
        // "3 mars", "3:e mars"
        var day = token
        if let colon = day.firstIndex(of: ":") { day = String(day[..<colon]) }
        guard (1...2).contains(day.count), day.allSatisfy(\.isDigitChar), let value = Int(day), (1...31).contains(value),
            index + 1 < tokens.count
        else { return false }
        return months.contains(tokens[index + 1].lower)
    }
}
