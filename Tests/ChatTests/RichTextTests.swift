import Chat
import Testing

/// `RichText` is what the bot says, whatever the server's markup: text that came from a person (or a
/// placeholder's value) must come out as the same visible text in every format, never as markup, a link
/// or a mention; the template's own markup must come out as markup.
@Suite struct RichTextTests {
    /// Text people write that means something to an HTML or a Markdown renderer.
    static let hostile: [String] = [
        "<script>alert('x')</script>",
        "a < b && c > d",
        #"Säg "hej" & 'hå'"#,
        "&lt;b&gt;fet&lt;/b&gt; &amp; &#64;channel",
        "*fet* _kursiv_ **mer** __också__",
        "snake_case_namn och 2*3*4",
        #"C:\Users\anna\*.txt"#,
        "`kod` och ``dubbel``",
        "[länk](https://evil.example) ![bild](x.png)",
        "# Rubrik",
        "## Underrubrik #",
        "> citat",
        "- punkt",
        "+ punkt",
        "* punkt",
        "1. först",
        "2) sedan",
        "| a | b |\n|---|---|\n| 1 | 2 |",
        "Rubrik\n===",
        "Rubrik\n---",
        "~~struken~~ och ~en~",
        "@channel @all @here hej @anna:kommun.se",
        "<https://autolink.example>",
        "rad ett\nrad två\n\nstycke",
        "Emoji 👩‍👩‍👧‍👦 🇸🇪 och e\u{301}ko, Å vs A\u{30A}",
        "{namn} och {title}",
        "",
    ]

    // MARK: Plain text

    @Test func plainTextKeepsEveryCharacterAndNewlinesBecomeLineBreaks() {
        let text = RichText(plain: "rad ett\n\nrad <tre>")
        #expect(text.spans == [.text("rad ett"), .lineBreak, .lineBreak, .text("rad <tre>")])
        #expect(text.plainText == "rad ett\n\nrad <tre>")
        #expect(RichText(plain: "").isEmpty)
        #expect(RichText(plain: "\n").spans == [.lineBreak])
    }

    @Test(arguments: hostile) func plainTextIsTheTextItself(_ input: String) {
        #expect(RichText(plain: input).plainText == input)
        #expect(RichText(plain: input).rendered(as: .plain) == input)
        #expect(RichText(plain: input).description == input)
    }

    @Test func aLinkInPlainTextShowsItsAddress() {
        #expect(RichText([.link(text: "Intranätet", url: "https://intra.example")]).plainText == "Intranätet (https://intra.example)")
        #expect(RichText([.link(text: "https://a.example", url: "https://a.example")]).plainText == "https://a.example")
    }

    @Test func stylesAreDroppedInPlainText() {
        let text = RichText([.strong("fet"), .text(" "), .emphasis("kursiv"), .text(" "), .code("kod"), .lineBreak])
        #expect(text.plainText == "fet kursiv kod\n")
    }

    // MARK: HTML

    @Test func htmlEscapesTheFiveSpecialCharacters() {
        #expect(RichText.escapeHTML(#"<a href="x">&'</a>"#) == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;")
        #expect(RichText(plain: "a < b && c > d").html == "a &lt; b &amp;&amp; c &gt; d")
        // An entity someone typed is shown as typed, not decoded.
        #expect(RichText(plain: "&lt;b&gt;").html == "&amp;lt;b&amp;gt;")
    }

    @Test(arguments: hostile) func htmlOfUserTextHasNoMarkupButLineBreaksAndShowsTheSameText(_ input: String) {
        let html = RichText(plain: input).html
        let withoutBreaks = html.replacing("<br>", with: "\n")
        #expect(!withoutBreaks.contains("<") && !withoutBreaks.contains(">") && !withoutBreaks.contains("\""), "\(html)")
        #expect(Self.unescapeHTML(withoutBreaks) == input)
    }

    @Test func htmlWrapsStylesAndEscapesInsideThem() {
        let text = RichText([
            .strong("<b>"), .text(" "), .emphasis("a&b"), .text(" "), .code("if a < b { \"x\" }"), .lineBreak, .text("slut"),
        ])
        #expect(
            text.html
                == "<strong>&lt;b&gt;</strong> <em>a&amp;b</em> <code>if a &lt; b { &quot;x&quot; }</code><br>slut")
        #expect(text.rendered(as: .html) == text.html)
    }

    @Test func htmlLinksEscapeTheAddressSoItCannotLeaveTheAttribute() {
        let link = RichText([.link(text: "<klicka>", url: #"https://x.example/?a=1&b="2"><script>"#)])
        #expect(
            link.html
                == #"<a href="https://x.example/?a=1&amp;b=&quot;2&quot;&gt;&lt;script&gt;">&lt;klicka&gt;</a>"#)
    }

    @Test func htmlKeepsEmojiAndCombiningCharactersIntact() {
        let input = "👩‍👩‍👧‍👦 🇸🇪 e\u{301} A\u{30A} 中文"
        #expect(RichText(plain: input).html == input)
        // A combining mark after an escaped character stays after it (it is not lost or moved into the entity).
        #expect(RichText(plain: "<\u{301}").html == "&lt;\u{301}")
        #expect(RichText(plain: "<\u{301}").html.unicodeScalars.count == 5)
    }

    // MARK: Markdown

    @Test func markdownEscapesItsSpecialCharactersWhereverTheyAre() {
        #expect(RichText(plain: "*fet* _kursiv_").markdown == #"\*fet\* \_kursiv\_"#)
        #expect(RichText(plain: "snake_case_namn").markdown == #"snake\_case\_namn"#)
        #expect(RichText(plain: "2*3*4").markdown == #"2\*3\*4"#)
        #expect(RichText(plain: #"C:\temp"#).markdown == #"C:\\temp"#)
        #expect(RichText(plain: "`kod`").markdown == #"\`kod\`"#)
        #expect(RichText(plain: "[x](y)").markdown == #"\[x\]\(y\)"#)
        #expect(RichText(plain: "a | b").markdown == #"a \| b"#)
        #expect(RichText(plain: "nr #3").markdown == ##"nr \#3"##)
        #expect(RichText(plain: "~~x~~").markdown == #"\~\~x\~\~"#)
        #expect(RichText(plain: "<https://x.example>").markdown == #"\<https://x.example\>"#)
        #expect(RichText(plain: "![bild](x.png)").markdown == #"\!\[bild\]\(x.png\)"#)
    }

    @Test func markdownEscapesBlockMarkupAtTheStartOfEveryLine() {
        #expect(RichText(plain: "# Rubrik").markdown == ##"\# Rubrik"##)
        #expect(RichText(plain: "> citat").markdown == #"\> citat"#)
        #expect(RichText(plain: "* punkt").markdown == #"\* punkt"#)
        #expect(RichText(plain: "- punkt").markdown == #"\- punkt"#)
        #expect(RichText(plain: "+ punkt").markdown == #"\+ punkt"#)
        #expect(RichText(plain: "1. först").markdown == #"1\. först"#)
        #expect(RichText(plain: "12) sedan").markdown == #"12\) sedan"#)
        // A line of `=` or `-` under another would make it a heading.
        #expect(RichText(plain: "Rubrik\n===").markdown == "Rubrik\n\\===")
        #expect(RichText(plain: "Rubrik\n---").markdown == "Rubrik\n\\---")
        // Also after a line break inside the text, and after leading spaces.
        #expect(RichText(plain: "ett\n  - två").markdown == "ett\n  \\- två")
        // The same characters inside a line are left alone where they mean nothing.
        #expect(RichText(plain: "e-post, 1+1=2, år 2026.").markdown == "e-post, 1+1=2, år 2026.")
    }

    @Test func markdownShowsAnEntitySomeoneTypedAsTyped() {
        #expect(RichText(plain: "&lt;b&gt; &amp; &#64;channel").markdown == ##"\&lt;b\&gt; \&amp; \&\#64;channel"##)
    }

    @Test func markdownDefusesMentions() {
        #expect(RichText(plain: "@channel").markdown == "@\u{2060}channel")
        #expect(RichText(plain: "hej @all och @here").markdown == "hej @\u{2060}all och @\u{2060}here")
        #expect(RichText([.strong("@channel")]).markdown == "**@\u{2060}channel**")
    }

    @Test(arguments: hostile) func markdownOfUserTextShowsTheSameText(_ input: String) {
        let markdown = RichText(plain: input).markdown
        #expect(Self.unescapeMarkdown(markdown) == input, "\(markdown)")
        // Every special character is escaped: none stands bare.
        var escaped = false
        for character in markdown {
            if escaped {
                escaped = false
                continue
            }
            if character == "\\" {
                escaped = true
                continue
            }
            #expect(!"*_`[]()#<>~|!&".contains(character), "\(character) unescaped in \(markdown)")
        }
    }

    @Test func markdownWrapsStylesAndEscapesInsideThem() {
        let text = RichText([.strong("a*b"), .text(" "), .emphasis("c_d"), .lineBreak, .text("slut")])
        #expect(text.markdown == "**a\\*b** _c\\_d_\nslut")
        #expect(text.rendered(as: .markdown) == text.markdown)
    }

    @Test func markdownCodeCannotBeClosedFromInside() {
        #expect(RichText([.code("a`b")]).markdown == "`a'b`")
        // Inside code nothing is markup, so nothing is escaped.
        #expect(RichText([.code("*x* [y]")]).markdown == "`*x* [y]`")
    }

    @Test func markdownLinksEscapeTheirTextAndCannotBeClosedByTheAddress() {
        let link = RichText([.link(text: "[mer]", url: "https://x.example/a)b")])
        #expect(link.markdown == #"[\[mer\]](https://x.example/a%29b)"#)
    }

    @Test func markdownKeepsEmojiAndCombiningCharactersIntact() {
        let input = "👩‍👩‍👧‍👦 🇸🇪 e\u{301} A\u{30A}"
        #expect(RichText(plain: input).markdown == input)
        #expect(RichText(plain: "*\u{301}").markdown == "\\*\u{301}")
    }

    // MARK: Templates

    @Test func templateMarkupBecomesStyles() {
        let text = RichText(template: "**Idé 7:** skriv *klar* eller `skicka`")
        #expect(text.spans == [.strong("Idé 7:"), .text(" skriv "), .emphasis("klar"), .text(" eller "), .code("skicka")])
        #expect(text.html == "<strong>Idé 7:</strong> skriv <em>klar</em> eller <code>skicka</code>")
        #expect(text.markdown == "**Idé 7:** skriv _klar_ eller `skicka`")
        #expect(text.plainText == "Idé 7: skriv klar eller skicka")
    }

    @Test func templateNewlinesAreLineBreaks() {
        #expect(RichText(template: "ett\ntvå").spans == [.text("ett"), .lineBreak, .text("två")])
        #expect(RichText(template: "**ett\ntvå**").spans == [.strong("ett"), .lineBreak, .strong("två")])
    }

    @Test func placeholderValuesAreTextNeverMarkup() {
        let values = ["number": "7", "title": "<b>*fet*</b> [x](y) `z` **w**", "who": "@channel"]
        let text = RichText(template: "**Idé {number}:** {title} av {who}", values: values)
        #expect(text.spans == [.strong("Idé 7:"), .text(" <b>*fet*</b> [x](y) `z` **w** av @channel")])
        #expect(text.html == "<strong>Idé 7:</strong> &lt;b&gt;*fet*&lt;/b&gt; [x](y) `z` **w** av @channel")
        #expect(
            text.markdown
                == #"**Idé 7:** \<b\>\*fet\*\</b\> \[x\]\(y\) \`z\` \*\*w\*\* av @"# + "\u{2060}channel")
        #expect(text.plainText == "Idé 7: <b>*fet*</b> [x](y) `z` **w** av @channel")
    }

    @Test func aValueInsideStyledTemplateTextTakesTheStyleButNotItsOwnMarkup() {
        let strong = RichText(template: "**{title}**", values: ["title": "a**b*c"])
        #expect(strong.spans == [.strong("a**b*c")])
        #expect(strong.html == "<strong>a**b*c</strong>")
        #expect(strong.markdown == #"**a\*\*b\*c**"#)
        let code = RichText(template: "`{command}`", values: ["command": "x`y"])
        #expect(code.spans == [.code("x`y")])
        #expect(code.html == "<code>x`y</code>")
    }

    @Test func aValueThatLooksLikeAPlaceholderIsNotFilledAgain() {
        let text = RichText(template: "{a} {b}", values: ["a": "{b}", "b": "x"])
        #expect(text.plainText == "{b} x")
    }

    @Test func anUnknownPlaceholderStaysAsWritten() {
        #expect(RichText(template: "hej {namn}, {", values: ["annat": "x"]).plainText == "hej {namn}, {")
        #expect(RichText(template: "{}", values: [:]).plainText == "{}")
    }

    @Test func aValueWithNewlinesBecomesLineBreaksInsideItsStyle() {
        let text = RichText(template: "**{title}**", values: ["title": "ett\ntvå"])
        #expect(text.spans == [.strong("ett"), .lineBreak, .strong("två")])
        #expect(text.html == "<strong>ett</strong><br><strong>två</strong>")
    }

    @Test(arguments: hostile) func anyValueComesOutAsTheSameVisibleText(_ value: String) {
        let text = RichText(template: "Titel: {title}.", values: ["title": value])
        #expect(text.plainText == "Titel: \(value).")
        #expect(Self.unescapeHTML(text.html.replacing("<br>", with: "\n")) == "Titel: \(value).")
        #expect(Self.unescapeMarkdown(text.markdown) == "Titel: \(value).")
    }

    @Test func markupInsideCodeIsLiteral() {
        #expect(RichText(template: "`**x** *y*`").spans == [.code("**x** *y*")])
    }

    // MARK: Composition

    @Test func paragraphsAreSeparatedByABlankLine() {
        let text = RichText.paragraphs(["ett", RichText(template: "**två**"), "tre"])
        #expect(text.plainText == "ett\n\ntvå\n\ntre")
        #expect(text.html == "ett<br><br><strong>två</strong><br><br>tre")
        #expect(RichText.paragraphs([]).isEmpty)
        #expect(("a" as RichText) + RichText(template: "*b*") == RichText([.text("a"), .emphasis("b")]))
    }

    // MARK: Helpers

    /// The text an HTML renderer shows for escaped text (the five entities the renderer writes).
    static func unescapeHTML(_ html: String) -> String {
        html.replacing("&lt;", with: "<").replacing("&gt;", with: ">").replacing("&quot;", with: "\"")
            .replacing("&#39;", with: "'").replacing("&amp;", with: "&")
    }

    /// The text a CommonMark renderer shows for escaped text: a backslash before ASCII punctuation is
    /// dropped, and the word joiner that defuses a mention is invisible.
    static func unescapeMarkdown(_ markdown: String) -> String {
        var out = ""
        var escaped = false
        for character in markdown {
            if escaped {
                out.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character != "\u{2060}" {
                out.append(character)
            }
        }
        return out
    }
}

/// `RichText(plain:)` finds its lines by bytes; it must give what the split at the Character "\n" gave.
@Suite struct PlainLinesTests {
    static func reference(_ text: String) -> RichText {
        var spans: [RichText.Span] = []
        var first = true
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if !first { spans.append(.lineBreak) }
            first = false
            if !line.isEmpty { spans.append(.text(String(line))) }
        }
        return RichText(spans)
    }

    /// Seeded random texts of line feeds, carriage returns, marks after them, emoji and letters.
    @Test func linesAreTheCharacterSplitAtLineFeeds() {
        let pieces = ["a", "Hej", " ", "\n", "\r", "\r\n", "\n\r", "\u{301}", "\n\u{301}", "\r\u{301}", "ä", "e\u{301}", "😀",
                      "👩‍👩‍👧", "\u{200D}", "\u{85}", "\u{2028}", "\u{0}", ""]
        var random = SplitMix64(seed: 21)
        func next() -> UInt64 { random.next() }
        for _ in 0..<20_000 {
            let text = (0..<Int(next() % 9)).map { _ in pieces[Int(next() % UInt64(pieces.count))] }.joined()
            #expect(RichText(plain: text) == Self.reference(text), "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }
}
