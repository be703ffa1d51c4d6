/// What kind of personal data was found.
public enum PersonalDataKind: String, CaseIterable, Sendable, Codable {
    case personnummer
    case samordningsnummer
    case phone
    case email

    /// What replaces it in the text. A samordningsnummer is masked as `[personnummer]` too: the kind of
    /// number itself says something about the person (a newcomer), and the reader needs no more than
    /// "an identity number was here".
    public var mask: String {
        switch self {
        case .personnummer, .samordningsnummer: "[personnummer]"
        case .phone: "[telefonnummer]"
        case .email: "[e-post]"
        }
    }
}

/// One masked piece of personal data.
public struct PersonalDataFinding: Sendable, Equatable {
    public var kind: PersonalDataKind
    /// Where it was, in `Character` offsets into the scanned text.
    public var range: Range<Int>
}

/// What the scanner found in one text.
public struct ScanResult: Sendable, Equatable {
    /// The text with every finding replaced by its mask; the same text when nothing was found.
    public var masked: String
    /// In text order.
    public var findings: [PersonalDataFinding]
    /// Client-case words (LVU, orosanmälan, …) that stand near a name, an age, a date or an identity
    /// number; empty when there is nothing to warn about.
    public var clientCaseWords: [String]

    /// The text reads like it is about one particular client.
    public var clientCaseWarning: Bool { !clientCaseWords.isEmpty }
    public var hasFindings: Bool { !findings.isEmpty }

    public func count(_ kind: PersonalDataKind) -> Int { findings.count { $0.kind == kind } }

    /// The kinds found, in `PersonalDataKind` order, each once.
    public var kinds: [PersonalDataKind] { PersonalDataKind.allCases.filter { count($0) > 0 } }
}

/// Finds Swedish personal identity numbers, phone numbers and e-mail addresses in free text and masks
/// them, and notices text that reads like a particular client's case (SkavBot.docc/Privacy.md).
///
/// Pure and linear in the length of the text. Invisible format characters (zero-width spaces, bidi
/// marks) inside a number do not hide it: they are skipped while matching and masked with the number.
public struct PersonalDataScanner: Sendable {
    public init() {}

    public func scan(_ text: String) -> ScanResult {
        let chars = Array(text)
        // The visible characters, with their offsets in `chars`: matching looks through format characters.
        var visible: [Character] = []
        var offsets: [Int] = []
        visible.reserveCapacity(chars.count)
        offsets.reserveCapacity(chars.count)
        // Every number the matchers look for has a digit: a text without one (most messages, and every
        // command) skips their three passes.
        var hasDigit = false
        for (offset, char) in chars.enumerated() where !Self.isInvisible(char) {
            visible.append(char)
            offsets.append(offset)
            if !hasDigit {
                if let ascii = char.asciiValue {
                    hasDigit = ascii >= UInt8(ascii: "0") && ascii <= UInt8(ascii: "9")
                } else {
                    hasDigit = char.isDigitChar
                }
            }
        }
        var matcher = Matcher(chars: visible)
        matcher.findEmails()
        if hasDigit {
            matcher.findIdentityNumbers()
            matcher.findPhoneNumbers()
            matcher.findJoinedNumbers()
        }
        let found = matcher.matches.sorted { $0.range.lowerBound < $1.range.lowerBound }

        var findings: [PersonalDataFinding] = []
        var masked = ""
        var cursor = 0
        for match in found {
            // Defensive: the matchers never overlap, but a match that did (or that is empty or out of
            // range) must never build an inverted range. An overlapping match is merged into the one before.
            guard !match.range.isEmpty, match.range.lowerBound >= 0, match.range.upperBound <= offsets.count else {
                continue
            }
            let start = offsets[match.range.lowerBound]
            let end = offsets[match.range.upperBound - 1] + 1
            if start < cursor, !findings.isEmpty {
                if end > cursor {
                    findings[findings.count - 1].range = findings[findings.count - 1].range.lowerBound..<end
                    cursor = end
                }
                continue
            }
            masked.append(contentsOf: chars[cursor..<start])
            masked.append(match.kind.mask)
            findings.append(PersonalDataFinding(kind: match.kind, range: start..<end))
            cursor = end
        }
        if findings.isEmpty {
            masked = text
        } else {
            masked.append(contentsOf: chars[cursor...])
        }
        let words = ClientCase.words(in: masked)
        return ScanResult(masked: masked, findings: findings, clientCaseWords: words)
    }

    /// A character made only of format characters (U+200B, U+200E, U+FEFF, soft hyphen, …).
    static func isInvisible(_ char: Character) -> Bool {
        if char.isASCII { return false }  // no format character is ASCII
        return char.unicodeScalars.allSatisfy { $0.properties.generalCategory == .format }
    }
}

// MARK: - Matching

struct Match {
    var kind: PersonalDataKind
    var range: Range<Int>
}

extension Character {
    /// The value of a decimal digit in any script (ASCII, full-width, Arabic-Indic…).
    var digit: Int? {
        guard let first = unicodeScalars.first, first.properties.numericType == .decimal else { return nil }
        return wholeNumberValue
    }

    var isDigitChar: Bool { digit != nil }
    var isWordChar: Bool { isLetter || isDigitChar || self == "_" }
}

struct Matcher {
    let chars: [Character]
    var taken: [Bool]
    var matches: [Match] = []
    /// While true, a number may be joined to a digit by a sign (`1212+4670…`): only for `findJoinedNumbers`.
    var lenient = false

    init(chars: [Character]) {
        self.chars = chars
        self.taken = Array(repeating: false, count: chars.count)
    }

    func at(_ index: Int) -> Character? { index >= 0 && index < chars.count ? chars[index] : nil }

    mutating func take(_ kind: PersonalDataKind, _ range: Range<Int>) {
        matches.append(Match(kind: kind, range: range))
        for index in range { taken[index] = true }
    }

    /// A number may start here: no word character before it, and no digit joined by `-/.,:+`
    /// (`2023/1234`, `1.0701234567`, `12-0701…` are something else).
    func numberMayStart(at index: Int, strict: Bool = false) -> Bool {
        guard let previous = at(index - 1) else { return true }
        // Right after another finding (`a@b.se+46701234567`): that one is masked, so this is a boundary.
        if taken[index - 1] { return true }
        let joined = lenient && !strict
        // `…1212+46701234567`: the sign belongs to the second number.
        if joined, at(index) == "+", previous.isDigitChar { return true }
        if previous.isWordChar { return false }
        if previous == "/" { return joined && at(index - 2)?.isDigitChar == true }
        if !joined, "-.,:+".contains(previous), at(index - 2)?.isDigitChar == true { return false }
        return true
    }

    /// A number may end before `index`: no word character after it, and no digit joined by `-./,:`.
    func numberMayEnd(before index: Int, strict: Bool = false) -> Bool {
        guard let next = at(index) else { return true }
        if next.isWordChar { return false }
        if strict || !lenient, "-/.,:+".contains(next), at(index + 1)?.isDigitChar == true { return false }
        return true
    }

    /// The run of digits starting at `index`.
    func digitRun(from index: Int) -> [Int] {
        var digits: [Int] = []
        var i = index
        while let d = at(i)?.digit {
            digits.append(d)
            i += 1
        }
        return digits
    }

    // MARK: E-mail

    /// An address's local part never reaches back into characters an earlier address took: an address
    /// run together with the one before it (`anna@kommun.se@x.se`) is merged into that one, so matches
    /// never overlap. The domain ends after its last all-letter label, so digits run on after it
    /// (`a@b.se0701234567`) are left for the number matchers.
    mutating func findEmails() {
        for at in chars.indices where chars[at] == "@" {
            if taken[at] { continue }
            var start = at
            while start > 0, !taken[start - 1], Self.isLocalChar(chars[start - 1]) { start -= 1 }
            while start < at, chars[start] == "." { start += 1 }
            guard let end = emailDomainEnd(at: at) else { continue }
            if start < at, chars[at - 1] != "." {
                take(.email, start..<end)
            } else if start == at, at > 0, taken[at - 1], let last = matches.indices.last,
                matches[last].kind == .email, matches[last].range.upperBound == at
            {
                // `anna@kommun.se@x.se`: one address run into another; masked as one.
                matches[last].range = matches[last].range.lowerBound..<end
                for index in at..<end { taken[index] = true }
            }
        }
    }

    /// The end of a valid domain after the `@` at `at`: at least one dot, and a last label of two or
    /// more letters, not followed by a letter.
    private func emailDomainEnd(at sign: Int) -> Int? {
        var index = sign + 1
        var lastDot: Int?
        var labelIsLetters = false
        var best: Int?
        while index < chars.count, Self.isDomainChar(chars[index]) {
            let c = chars[index]
            if c == "." {
                lastDot = index
                labelIsLetters = true
            } else if !c.isLetter {
                labelIsLetters = false
            } else if labelIsLetters, let dot = lastDot, dot > sign + 1, index - dot >= 2,
                at(index + 1)?.isLetter != true
            {
                best = index + 1
            }
            index += 1
        }
        return best
    }

    static func isLocalChar(_ c: Character) -> Bool {
        c.isLetter || c.isDigitChar || "._%+-'".contains(c)
    }

    static func isDomainChar(_ c: Character) -> Bool {
        c.isLetter || c.isDigitChar || c == "." || c == "-"
    }

    // MARK: Personnummer

    /// `YYMMDD-NNNN`, `YYMMDD+NNNN`, `YYMMDDNNNN`, `YYMMDD NNNN` and the same with a four-digit year.
    mutating func findIdentityNumbers() {
        var index = 0
        while index < chars.count {
            guard chars[index].isDigitChar, !taken[index], numberMayStart(at: index) else {
                index += 1
                continue
            }
            let run = digitRun(from: index)
            if let found = identityNumber(at: index, run: run) {
                take(found.kind, index..<found.end)
                index = found.end
            } else {
                index += run.count
            }
        }
    }

    private func identityNumber(at index: Int, run: [Int]) -> (kind: PersonalDataKind, end: Int)? {
        switch run.count {
        case 10, 12:
            let end = index + run.count
            guard numberMayEnd(before: end) else { return nil }
            return Self.identityKind(Array(run.suffix(10)), century: run.count == 12 ? run[0] * 10 + run[1] : nil, plus: false)
                .map { ($0, end) }
        case 6, 8:
            // The separator: "-", "+", a space, or " - " (at most three characters, one sign).
            var tailIndex = index + run.count
            var signs: [Character] = []
            while tailIndex - (index + run.count) < 3, let c = at(tailIndex), Self.isIdentitySeparator(c) {
                if c != " " && c != "\u{00A0}" { signs.append(c) }
                tailIndex += 1
            }
            guard tailIndex > index + run.count, signs.count <= 1 else { return nil }
            let tail = digitRun(from: tailIndex)
            guard tail.count == 4 else { return nil }
            let end = tailIndex + 4
            guard numberMayEnd(before: end) else { return nil }
            let plus = signs == ["+"]
            if run.count == 8, plus { return nil }
            return Self.identityKind(
                Array(run.suffix(6)) + tail, century: run.count == 8 ? run[0] * 10 + run[1] : nil, plus: plus
            ).map { ($0, end) }
        default:
            return nil
        }
    }

    static func isIdentitySeparator(_ c: Character) -> Bool {
        c == " " || c == "-" || c == "+" || c == "\u{00A0}" || c == "\u{2011}" || c == "\u{2013}"
    }

    /// Checks the date (day + 60 for a samordningsnummer) and the Luhn digit of the ten-digit form.
    static func identityKind(_ digits: [Int], century: Int?, plus: Bool) -> PersonalDataKind? {
        guard digits.count == 10, luhn(digits) else { return nil }
        let yy = digits[0] * 10 + digits[1]
        let month = digits[2] * 10 + digits[3]
        var day = digits[4] * 10 + digits[5]
        guard (1...12).contains(month) else { return nil }
        var kind = PersonalDataKind.personnummer
        if day > 60 {
            day -= 60
            kind = .samordningsnummer
        }
        guard day >= 1 else { return nil }
        let centuries: [Int]
        if let century {
            guard century == 18 || century == 19 || century == 20 else { return nil }
            centuries = [century]
        } else {
            centuries = plus ? [18, 19] : [19, 20]
        }
        let fits = centuries.contains { day <= daysIn(month: month, year: $0 * 100 + yy) }
        return fits ? kind : nil
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func luhn(_ digits: [Int]) -> Bool {
        var sum = 0
        for (index, digit) in digits.enumerated() {
            if index % 2 == 0 {
                let doubled = digit * 2
                sum += doubled > 9 ? doubled - 9 : doubled
            } else {
                sum += digit
            }
        }
        return sum % 10 == 0
    }

    // MARK: Phone numbers

    /// Swedish numbers in national (`08-123 456 78`, `031-12 34 56`, `070-123 45 67`, `(08) 123 45 67`)
    /// and international form (`+46 70 123 45 67`, `+46 (0)8 …`, `0046 …`), and other `+`-numbers.
    mutating func findPhoneNumbers() {
        var index = 0
        while index < chars.count {
            if !taken[index], let end = phoneNumber(at: index) {
                take(.phone, index..<end)
                index = end
            } else {
                index += 1
            }
        }
    }

    /// Two numbers run together through a sign (`19121212-1212+46701234567`, `0701234567-811218-9876`):
    /// each alone is refused by the joined-digit rule of `numberMayStart`/`numberMayEnd` (which keeps
    /// `2023/1234` and `12-0701…` unmasked), but when both sides are whole identity or phone numbers,
    /// and the pair stands free, both are masked.
    mutating func findJoinedNumbers() {
        var index = 0
        while index < chars.count {
            guard !taken[index], numberMayStart(at: index, strict: true) else {
                index += 1
                continue
            }
            lenient = true
            defer { lenient = false }
            guard let first = joinedCandidate(at: index), let sign = at(first.end), "-/.,:+".contains(sign) else {
                index += 1
                continue
            }
            let next = sign == "+" ? first.end : first.end + 1
            guard let second = joinedCandidate(at: next), numberMayEnd(before: second.end, strict: true) else {
                index += 1
                continue
            }
            take(first.kind, index..<first.end)
            take(second.kind, next..<second.end)
            index = second.end
        }
    }

    /// An identity or phone number at `index` (not taken), under the current `lenient` rule.
    private func joinedCandidate(at index: Int) -> (kind: PersonalDataKind, end: Int)? {
        guard index < chars.count, !taken[index] else { return nil }
        if chars[index].isDigitChar, numberMayStart(at: index) {
            let run = digitRun(from: index)
            if let found = identityNumber(at: index, run: run), !(index..<found.end).contains(where: { taken[$0] }) {
                return found
            }
        }
        if let end = phoneNumber(at: index), end > index, !(index..<end).contains(where: { taken[$0] }) {
            return (.phone, end)
        }
        return nil
    }

    /// Digit groups separated by spaces or one hyphen (and a closing parenthesis); each group ends at `end`.
    private struct Group {
        var digits: [Int]
        var end: Int
    }

    /// `closing`: the number began with "(", so a ")" may follow the first group ("(08) 123 45 67").
    private func groups(from start: Int, closing: Bool = false) -> [Group] {
        var result: [Group] = []
        var index = start
        var total = 0
        while let c = at(index), c.isDigitChar {
            let run = digitRun(from: index)
            let runEnd = index + run.count
            if (index..<runEnd).contains(where: { taken[$0] }) { break }
            result.append(Group(digits: run, end: runEnd))
            // No number has more than 15 digits (17 with a leading 00): later groups cannot matter, and
            // stopping here keeps a long run of digit groups linear.
            total += run.count
            if total > 17 { break }
            var separatorStart = runEnd
            if closing, result.count == 1 {
                guard at(runEnd) == ")" else { break }
                separatorStart += 1
            }
            // A separator: spaces and at most one hyphen, at most three characters.
            var next = separatorStart
            var hyphens = 0
            while next - separatorStart < 3, let c = at(next), Self.isSeparator(c) {
                if c != " " && c != "\u{00A0}" { hyphens += 1 }
                next += 1
            }
            guard hyphens <= 1, next > separatorStart || separatorStart > runEnd, at(next)?.isDigitChar == true else {
                break
            }
            index = next
        }
        return result
    }

    static func isSeparator(_ c: Character) -> Bool {
        c == " " || c == "-" || c == "\u{00A0}" || c == "\u{2011}"
    }

    private func phoneNumber(at start: Int) -> Int? {
        guard let first = at(start) else { return nil }
        var index = start
        var international = false
        if first == "+" {
            guard numberMayStart(at: start), at(start + 1)?.isDigitChar == true else { return nil }
            international = true
            index = start + 1
        } else if first == "(" {
            guard numberMayStart(at: start), at(start + 1)?.digit == 0 else { return nil }
            index = start + 1
        } else if first.digit == 0 {
            guard numberMayStart(at: start) else { return nil }
        } else {
            return nil
        }
        var groups = groups(from: index, closing: first == "(")
        guard !groups.isEmpty else { return nil }
        if !international, groups[0].digits.starts(with: [0, 0]), groups[0].digits.count >= 4 {
            // 0046… is +46…
            groups[0].digits.removeFirst(2)
            international = true
        }
        if international, groups.count == 1, groups[0].digits.count <= 3 {
            // "+46 (0)8 123 45 67": the country code, then (0) and the national number.
            var probe = groups[0].end
            while at(probe) == " " { probe += 1 }
            if at(probe) == "(", at(probe + 1)?.digit == 0, at(probe + 2) == ")" {
                var next = probe + 3
                while at(next) == " " { next += 1 }
                groups += self.groups(from: next)
            }
        }
        // The first group is the area code (or the whole number): at least two digits; later groups too.
        guard groups[0].digits.count >= 2 || international else { return nil }
        // (After a country code the area code may be one digit: "+46 8 …".) A shorter group ends the
        // number: "ring 070-123 45 67 2 gånger" still has a number before the "2".
        if let short = groups.indices.dropFirst().first(where: {
            groups[$0].digits.count < 2 && !(international && $0 == 1)
        }) {
            groups.removeSubrange(short...)
        }
        // The longest prefix of groups that makes a valid number.
        var digits: [Int] = []
        var best: Int?
        for group in groups {
            digits += group.digits
            if digits.count > 15 { break }
            if Self.isPhone(digits, international: international), numberMayEnd(before: group.end) {
                best = group.end
            }
        }
        return best
    }

    static func isPhone(_ digits: [Int], international: Bool) -> Bool {
        if international {
            if digits.starts(with: [4, 6]) {
                // +46, then the national number without its 0: 7–9 digits (mobile: 7 and 8 more).
                let national = digits.dropFirst(2)
                guard let lead = national.first, lead != 0 else { return false }
                if lead == 7 { return national.count == 9 }
                return (7...9).contains(national.count)
            }
            guard digits.first != 0 else { return false }
            return (8...15).contains(digits.count)
        }
        guard digits.count >= 2, digits[0] == 0, digits[1] != 0 else { return false }
        if digits[1] == 7 { return digits.count == 10 }
        return (8...10).contains(digits.count)
    }
}
