import Testing

@testable import Chat

/// A template read once (`RichText.Template`) renders what the parser (`RichText(template:values:)`) gives
/// for the same template and values, whatever the markup, braces and values.
@Suite struct RichTextTemplateTests {
    static let pieces = [
        "*", "**", "`", "{", "}", "{name}", "{x}", "{}", "{*}", "{`a`}", "{{x}}", "{ name }", "a", "Hej ", "é", "e\u{301}",
        "\n", "\n\n", " ", "🧑‍🍳", "**{name}**", "*{x}*", "`{name}`", "{name", "x}", "\\", "\"",
    ]
    static let values = ["", "Anna", "*not markup*", "**", "`", "line\nbreak", "{x}", "{name}", "åäö", "\n"]

    @Test func rendersWhatTheParserGives() {
        var generator = SplitMix64(seed: 13)
        var compiled = 0
        for _ in 0..<20_000 {
            var template = ""
            for _ in 0..<Int(generator.next() % 12) {
                template += Self.pieces[Int(generator.next() % UInt64(Self.pieces.count))]
            }
            var values: [String: String] = [:]
            for name in ["name", "x", "", " name ", "*"] where generator.next() % 2 == 0 {
                values[name] = Self.values[Int(generator.next() % UInt64(Self.values.count))]
            }
            let read = RichText.Template(template)
            if read.isCompiled { compiled += 1 }
            #expect(read.render(values) == RichText(template: template, values: values), "\(template) \(values)")
            #expect(read.render() == RichText(template: template), "\(template)")
        }
        // About half of these random templates (odd braces are common among the pieces) are read once.
        #expect(compiled > 5_000)
    }

    @Test func catalogTextsAreTheParsersTexts() {
        let template = "Hej {name}! **Idé {number}:** *{title}*\n`skicka` {unknown}"
        let values = ["name": "Anna", "number": "12", "title": "Tolk *snabbt*\npå hembesök"]
        #expect(RichText.Template(template).render(values) == RichText(template: template, values: values))
        #expect(
            RichText.Template(template).render(values).spans == [
                .text("Hej Anna! "), .strong("Idé 12:"), .text(" "), .emphasis("Tolk *snabbt*"), .lineBreak,
                .emphasis("på hembesök"), .lineBreak, .code("skicka"), .text(" {unknown}"),
            ])
    }
}
