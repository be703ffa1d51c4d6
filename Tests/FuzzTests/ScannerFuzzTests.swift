import Foundation
import Masking
import Testing

private let scanner = PersonalDataScanner()

private func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

private func days(_ month: Int, _ year: Int) -> Int {
    switch month {
    case 2: isLeap(year) ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
}

private func luhnDigit(_ nine: [Int]) -> Int {
    var sum = 0
    for (index, digit) in nine.enumerated() {
        let weighted = index % 2 == 0 ? digit * 2 : digit
        sum += weighted > 9 ? weighted - 9 : weighted
    }
    return (10 - sum % 10) % 10
}

private func digits(_ value: Int, _ width: Int) -> [Int] {
    var out: [Int] = []
    var v = value
    for _ in 0..<width {
        out.insert(v % 10, at: 0)
        v /= 10
    }
    return out
}

/// An identity number as written: 10 or 12 digits, with any of the separators people use.
private struct IdentityNumber {
    var text: String
    var valid: Bool
}

private func identityNumber(_ rng: inout Rng, valid: Bool) -> IdentityNumber {
    let twelve = rng.chance(0.5)
    // "+" (100 years or older) only in the ten-digit form.
    let separator = twelve ? rng.pick(["", "-", " ", "\u{00A0}", " - ", "\u{2011}", "\u{2013}"])
        : rng.pick(["", "-", " ", "+", "\u{00A0}", " - ", "\u{2011}", "\u{2013}", " + "])
    let plus = separator.contains("+")
    var year = plus ? rng.int(1850...1999) : rng.int(1900...2026)
    var month = rng.int(1...12)
    var day = rng.int(1...days(month, year))
    if rng.chance(0.2) { day += 60 }  // samordningsnummer
    var serial = digits(rng.int(0...999), 3)
    var broken = false
    if !valid {
        switch rng.int(0..<5) {
        case 0: month = rng.pick([0, 13, 19, 20, 42, 99])
        case 1: day = rng.pick([0, 32, 40, 59, 60, 92, 99])
        case 2:
            // 30 February, 31 April: impossible in every century.
            month = rng.pick([2, 4, 6, 9, 11])
            day = month == 2 ? 30 : 31
        case 3 where twelve:
            // 29 February in a year that is not a leap year.
            month = 2
            day = 29
            year = rng.pick([1900, 1901, 1955, 1983, 2001, 2023, 2100 - 100 + 3])
        default: broken = true  // a wrong Luhn digit
        }
    }
    let nine = digits(year % 100, 2) + digits(month, 2) + digits(day, 2) + serial
    var check = luhnDigit(nine)
    if broken { check = (check + rng.int(1...9)) % 10 }
    serial.append(check)
    let date = (twelve ? digits(year / 100, 2) : []) + Array(nine.prefix(6))
    let text = date.map(String.init).joined() + separator + serial.map(String.init).joined()
    return IdentityNumber(text: text, valid: valid)
}

/// A Swedish phone number in one of the documented forms.
private func phoneNumber(_ rng: inout Rng) -> String {
    func d(_ count: Int) -> String { (0..<count).map { _ in String(rng.int(0...9)) }.joined() }
    let nonzero = String(rng.int(1...9))
    switch rng.int(0..<10) {
    case 0: return "07\(rng.int(0...9))-\(d(3)) \(d(2)) \(d(2))"
    case 1: return "07\(rng.int(0...9)) \(d(3)) \(d(2)) \(d(2))"
    case 2: return "07\(rng.int(0...9))\(d(7))"
    case 3: return "08-\(nonzero)\(d(2)) \(d(3)) \(d(2))"  // 08-123 456 78
    case 4: return "0\(rng.pick(["31", "40", "18", "90"]))-\(nonzero)\(d(1)) \(d(2)) \(d(2))"  // 031-12 34 56
    case 5: return "(08) \(nonzero)\(d(2)) \(d(2)) \(d(2))"  // (08) 123 45 67
    case 6: return "+46 7\(rng.int(0...9)) \(d(3)) \(d(2)) \(d(2))"
    case 7: return "+46 (0)8 \(nonzero)\(d(2)) \(d(2)) \(d(2))"
    case 8: return "0046 7\(rng.int(0...9)) \(d(3)) \(d(2)) \(d(2))"
    default: return "+467\(rng.int(0...9))\(d(7))"
    }
}

/// Text around an embedded number: words on both sides, kept apart from it by a space or punctuation.
private func embed(_ number: String, _ rng: inout Rng) -> (text: String, range: Range<Int>?) {
    let before = rng.chance(0.3) ? "" : rng.text(maxWords: 8) + rng.pick([" ", ": ", " (", "\n", " \""])
    let after = rng.chance(0.3) ? "" : rng.pick([" ", ", ", ". ", "! ", ") ", "\n", "\" "]) + rng.text(maxWords: 8)
    let text = before + number + after
    // Character offsets, when the joins did not merge characters.
    let chars = Array(text)
    let start = before.count
    let end = start + number.count
    let range = end <= chars.count && String(chars[start..<end]) == number ? start..<end : nil
    return (text, range)
}

private func digitsOnly(_ text: String) -> String { String(text.filter { $0.isASCII && $0.isNumber }) }

/// Scans with a time limit.
private func timedScan(_ text: String) throws -> ScanResult {
    let clock = ContinuousClock()
    let started = clock.now
    let result = scanner.scan(text)
    let elapsed = started.duration(to: clock.now)
    // One second in the optimised nightly build; the debug build shares two cores with the whole suite.
    #if DEBUG
        let limit = Duration.seconds(5)
    #else
        let limit = Duration.seconds(1)
    #endif
    try require(elapsed < limit, "scan took \(elapsed) for \(text.count) characters: \(show(text))")
    return result
}

/// What holds for every scan.
private func checkGeneral(_ text: String, _ result: ScanResult) throws {
    if result.findings.isEmpty {
        try require(result.masked == text, "nothing found but the text changed: \(show(text))")
    }
    var previous = 0
    let count = text.count
    for finding in result.findings {
        try require(finding.range.lowerBound >= previous && finding.range.upperBound <= count && !finding.range.isEmpty,
                    "findings out of order or bounds: \(result.findings) in \(show(text))")
        previous = finding.range.upperBound
    }
    let again = scanner.scan(result.masked)
    try require(again.findings.isEmpty, "masking is not idempotent: \(show(text)) → \(show(result.masked)) → \(again.findings)")
}

@Suite("fuzz: personal-data scanner")
struct ScannerFuzzTests {
    @Test("arbitrary text: no crash, idempotent, unchanged without findings, fast")
    func arbitrary() async {
        await fuzz("scanner-arbitrary", defaultCases: 800) { rng, _ in
            var text = rng.text(maxWords: 30)
            if rng.chance(0.3) { text += " " + phoneNumber(&rng) + " " + rng.text(maxWords: 5) }
            if rng.chance(0.3) { text += " " + identityNumber(&rng, valid: rng.chance(0.5)).text }
            if rng.chance(0.1) { text += " anna.\(rng.word())@kommun.se" }
            if rng.chance(0.2) { text += " " + (0..<rng.int(1...40)).map { _ in String(rng.int(0...9)) }.joined(separator: rng.pick(["", " ", "-", "."])) }
            try checkGeneral(text, try timedScan(text))
        }
    }

    @Test("valid personnummer and samordningsnummer are always masked")
    func validIdentityNumbers() async {
        await fuzz("scanner-personnummer-valid", defaultCases: 800) { rng, _ in
            let number = identityNumber(&rng, valid: true)
            let (text, range) = embed(number.text, &rng)
            let result = try timedScan(text)
            try checkGeneral(text, result)
            try require(
                !digitsOnly(result.masked).contains(digitsOnly(number.text)) && result.masked.contains("[personnummer]"),
                "\(show(number.text)) not masked in \(show(text)) → \(show(result.masked))")
            if let range {
                try require(
                    result.findings.contains {
                        $0.range == range && ($0.kind == .personnummer || $0.kind == .samordningsnummer)
                    }, "\(show(number.text)) at \(range) not found as an identity number: \(result.findings) in \(show(text))")
            }
        }
    }

    @Test("impossible dates and wrong check digits are never masked as personnummer")
    func invalidIdentityNumbers() async {
        await fuzz("scanner-personnummer-invalid", defaultCases: 800) { rng, _ in
            let number = identityNumber(&rng, valid: false)
            let (text, range) = embed(number.text, &rng)
            let result = try timedScan(text)
            try checkGeneral(text, result)
            guard let range else { return }
            let identity = result.findings.filter {
                ($0.kind == .personnummer || $0.kind == .samordningsnummer) && $0.range.overlaps(range)
            }
            try require(identity.isEmpty, "invalid \(show(number.text)) masked as \(identity) in \(show(text))")
        }
    }

    @Test("Swedish phone numbers in the documented forms are masked")
    func phoneNumbers() async {
        await fuzz("scanner-phone", defaultCases: 800) { rng, _ in
            let number = phoneNumber(&rng)
            let (text, range) = embed(number, &rng)
            let result = try timedScan(text)
            try checkGeneral(text, result)
            try require(!result.masked.contains(number), "\(number) not masked in \(show(text)) → \(show(result.masked))")
            if let range {
                try require(
                    result.findings.contains { $0.range.lowerBound <= range.lowerBound && $0.range.upperBound >= range.upperBound },
                    "\(number) at \(range) not covered by \(result.findings) in \(show(text))")
            }
        }
    }
}
