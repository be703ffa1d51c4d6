import Testing

@testable import Masking

/// Addresses, phone numbers and identity numbers run into each other. `anna@kommun.se@x.se` once made two
/// e-mail matches overlap, and the masking loop built an inverted range: a trap that took the bot down,
/// again after every restart (the message is read again). Every case must scan without a trap, leave
/// nothing personal in the masked text, and give findings that neither overlap nor run backwards.
@Suite struct RunTogetherTests {
    let scanner = PersonalDataScanner()

    static let cases: [(text: String, masked: String)] = [
        ("anna@kommun.se@x.se", "[e-post]"),
        ("anna@kommun.se@x.se@y.se", "[e-post]"),
        ("skriv till anna@kommun.se@x.se nu", "skriv till [e-post] nu"),
        ("anna@x.se@bo@y.se", "[e-post]@[e-post]"),
        ("0701234567anna@x.se", "[e-post]"),
        ("19121212-1212@x.se", "[e-post]"),
        ("811218-9876@x.se", "[e-post]"),
        ("+46701234567anna@x.se", "[e-post]"),
        ("a@b.se+46701234567", "[e-post][telefonnummer]"),
        ("a@b.se0701234567", "[e-post][telefonnummer]"),
        ("a@b.se 0701234567", "[e-post] [telefonnummer]"),
        ("anna@x.se19121212-1212", "[e-post][personnummer]"),
        ("anna@x.se811218-9876", "[e-post][personnummer]"),
        ("anna@x.se+46701234567bo@y.se", "[e-post][e-post]"),
        ("19121212-1212+46701234567", "[personnummer][telefonnummer]"),
        ("811218-9876-0701234567", "[personnummer]-[telefonnummer]"),
        ("0701234567-19121212-1212", "[telefonnummer]-[personnummer]"),
        ("+46701234567-811218-9876", "[telefonnummer]-[personnummer]"),
        ("ring 070-123 45 67/0701234567 nu", "ring [telefonnummer]/[telefonnummer] nu"),
        ("19121212-1212/811218-9876", "[personnummer]/[personnummer]"),
        // Numbers joined by a sign are masked only as a pair of whole numbers: case numbers and dates stay.
        ("dnr 2023/1234 och 2024-03-15", "dnr 2023/1234 och 2024-03-15"),
        ("a@b.se\u{200B}@c.se", "[e-post]"),
        ("a\u{200B}@b.se@c.se", "[e-post]"),
    ]

    @Test(arguments: cases)
    func runTogether(text: String, masked: String) {
        let result = scanner.scan(text)
        #expect(result.masked == masked, "\(text) → \(result.masked)")
        expectSane(result, of: text)
    }

    /// No trap on any mix of the pieces, and findings that never overlap. (Two numbers run together
    /// digit to digit, `070123456719121212`, are one long number and stay as they are.)
    @Test func everyPairAndTripleOfPiecesScans() {
        let pieces = [
            "anna@kommun.se", "@x.se", "0701234567", "+46701234567", "19121212-1212", "811218-9876", "070-123 45 67",
            "@", ".", "-", "+", "", " ", "\u{200B}", "bo@y.se",
        ]
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let text = a + b + c
                    expectOrdered(scanner.scan(text), of: text)
                }
            }
        }
    }

    func expectSane(_ result: ScanResult, of text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        expectOrdered(result, of: text, sourceLocation: sourceLocation)
        for secret in ["0701234567", "46701234567", "19121212", "1212-1212", "811218", "9876", "anna", "123 45 67", "bo@"] {
            if text.contains(secret) {
                #expect(!result.masked.contains(secret), "\(text) → \(result.masked)", sourceLocation: sourceLocation)
            }
        }
    }

    func expectOrdered(_ result: ScanResult, of text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let count = text.count
        var previousEnd = 0
        for finding in result.findings {
            #expect(finding.range.lowerBound >= previousEnd, "overlap in \(text)", sourceLocation: sourceLocation)
            #expect(finding.range.upperBound <= count, "\(text)", sourceLocation: sourceLocation)
            #expect(!finding.range.isEmpty, "\(text)", sourceLocation: sourceLocation)
            previousEnd = finding.range.upperBound
        }
    }
}
