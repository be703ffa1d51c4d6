import Chat
@testable import Digest
import Foundation
import Intake
import SkavBot
import SkavTesting
import Testing
import Prompts
import Store

@Suite struct BuilderTests {
    static let week = DigestPeriod(since: at("2026-11-16"), until: at("2026-11-23"))

    static func idea(_ number: Int, _ title: String, unit: String? = "Skola") -> DigestIdea {
        DigestIdea(number: number, title: title, unit: unit, stage: .inkommen)
    }

    // MARK: The empty week

    @Test(arguments: Language.allCases)
    func emptyWeekIsOneLine(language: Language) throws {
        let store = try IntakeStore()
        // An idea done long ago: the funnel is not empty, but nothing happened this week.
        try store.write { tx in
            _ = try Seeder(tx: tx).idea(1, unit: "Skola", problem: "Gammal idé.", stage: .realiserad, submitted: at("2026-01-12", 10))
        }
        let data = try store.read { tx in
            try DigestLoader.load(tx, period: Self.week, planner: testPlanner, themes: [])
        }
        #expect(data.isQuiet)
        let prompts = try loadPrompts()
        let document = DigestBuilder.build(data, language: language, prompts: prompts, calendar: calendar)
        #expect(document.sections.count == 1)
        #expect(document.sections[0].lines.count == 1)
        let title = language == .sv ? "Sammanfattning 2026-11-16 – 2026-11-22" : "Digest 2026-11-16 – 2026-11-22"
        let calm = prompts.text(.digestCalm, language).plainText
        #expect(DigestRenderer.render(document, as: .plain) == "\(title)\n\n\(calm)")
        for capabilities in [matrix, mattermost] {
            #expect(DigestRenderer.messages(document, capabilities: capabilities).count == 1)
        }
    }

    @Test func claimsAloneStillMakeACalmWeek() throws {
        let data = DigestData(period: Self.week, guideActions: 3)
        let document = DigestBuilder.build(data, language: .sv, prompts: try loadPrompts(), calendar: calendar)
        #expect(document.sections.count == 1)
        #expect(!DigestRenderer.render(document, as: .plain).contains(promptText(.digestThanks)))
    }

    // MARK: Hostile input

    static let hostileTitles = [
        #"<a href="http://evil.example">klicka</a>"#,
        "<img src=x onerror=alert(1)>",
        "[Logga in här](http://evil.example/login)",
        "@room viktigt!",
        "Hej @channel och @all",
        "Rad ett\n\n**Falsk rubrik**\n• #999 Falsk idé – Skola",
        "Tab\there\u{2028}och\u{0085}så\r\nvidare",
        "Rättvänd \u{202E}txet\u{202C} text",
        String(repeating: "Lång titel <b>&</b> @here ", count: 200),
    ]

    static func hostileData() -> DigestData {
        let evilUnit = "<script>alert(1)</script> @room"
        let titles = hostileTitles
        return DigestData(
            period: week,
            newIdeas: titles.enumerated().map { offset, title in
                DigestData.NewIdea(
                    idea: idea(offset + 1, title, unit: offset == 0 ? evilUnit : "Skola"),
                    challenge: "[Utmaning](http://evil.example) <i>", benefits: "@room\n<b>alla</b>")
            },
            funnel: [DigestData.StageCount(stage: .inkommen, count: titles.count)],
            overdue: [
                DigestOverdue(
                    idea: idea(1, titles[0], unit: evilUnit), kind: .escalated, waitingSince: at("2026-11-02", 9),
                    followers: ["@olle:kommun.se"])
            ],
            stageChanges: [DigestData.StageChange(number: 2, title: titles[5], from: .inkommen, to: .bedoms, at: at("2026-11-17", 9))],
            clusters: [DigestData.Cluster(ideas: [idea(3, titles[2]), idea(4, titles[3], unit: evilUnit)], suggestion: [3, 4])],
            challenges: [
                DigestData.RunningChallenge(
                    number: 1, title: "<em>Mindre</em> [papper](http://evil.example) @channel",
                    deadline: CivilDate(iso: "2026-12-01")!, ideas: 1, newIdeas: 1)
            ],
            guideActions: 1)
    }

    /// Only the tags the renderer writes itself.
    static func tags(_ html: String) -> Set<String> {
        Set(html.matches(of: /<\/?([a-zA-Z]+)[^>]*>/).map { String($0.output.1) })
    }

    @Test(arguments: Language.allCases)
    func hostileTitlesAreEscapedInEveryMarkup(language: Language) throws {
        let document = DigestBuilder.build(Self.hostileData(), language: language, prompts: try loadPrompts(), calendar: calendar)

        let html = DigestRenderer.render(document, as: .html)
        #expect(Self.tags(html).isSubset(of: ["strong", "em", "code", "br"]))
        #expect(!html.contains("<a ") && !html.contains("<img") && !html.contains("<script") && !html.contains("<b>"))
        #expect(html.contains("&lt;a href=&quot;http://evil.example&quot;&gt;klicka&lt;/a&gt;"))
        #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;"))
        #expect(html.contains("&lt;em&gt;Mindre&lt;/em&gt;"))

        let markdown = DigestRenderer.render(document, as: .markdown)
        #expect(!markdown.contains("](http"))
        #expect(markdown.contains(#"\[Logga in här\]\(http://evil.example/login\)"#))
        #expect(markdown.contains(#"\[Utmaning\]\(http://evil.example\)"#))
        for name in ["room", "channel", "all", "here"] {
            #expect(!markdown.contains("@\(name)"), "@\(name) would ping")
            #expect(markdown.contains("@\u{2060}\(name)"))
        }
        #expect(!markdown.contains("<b>") && !markdown.contains("<script>"))

        let plain = DigestRenderer.render(document, as: .plain)
        for text in [plain, markdown, html.replacingOccurrences(of: "<br>", with: "\n")] {
            // Newlines in a title never make a line of their own: no fake heading, no fake idea.
            let lines = text.split(separator: "\n")
            #expect(!lines.contains { $0.hasPrefix("**Falsk") || $0.hasPrefix("\\*\\*Falsk") || $0.hasPrefix("<strong>Falsk") })
            #expect(!lines.contains { $0.contains("#999") && !$0.contains("Rad ett") })
            #expect(!text.contains("\u{202E}") && !text.contains("\u{2028}") && !text.contains("\u{0085}") && !text.contains("\r"))
        }
        #expect(plain.contains("Rad ett **Falsk rubrik** • #999 Falsk idé – Skola"))
        #expect(plain.contains("Tab here och så vidare"))
        // The 5,000-character title is cut to `fieldLimit` characters.
        let long = try #require(plain.split(separator: "\n").first { $0.contains("Lång titel") })
        #expect(long.count < DigestBuilder.fieldLimit + 150)
        #expect(long.contains("…"))
    }

    @Test(arguments: [
        matrix, mattermost, ChatCapabilities(maxMessageBytes: 2_000, markup: .markdown),
        ChatCapabilities(maxMessageBytes: 2_000, markup: .html), ChatCapabilities(maxMessageBytes: 1_000, markup: .plain),
    ])
    func hostileTitlesNeverBreakTheLimit(capabilities: ChatCapabilities) throws {
        var data = Self.hostileData()
        // Longer than any message even escaped: 5,000 characters that each grow when escaped.
        let huge = String(repeating: "@<&[", count: 1_250)
        data.newIdeas.append(DigestData.NewIdea(idea: Self.idea(100, huge), challenge: huge, benefits: huge))
        let document = DigestBuilder.build(data, language: .sv, prompts: try loadPrompts(), calendar: calendar)
        let messages = DigestRenderer.messages(document, capabilities: capabilities)
        #expect(!messages.isEmpty)
        for message in messages {
            #expect(sentSize(message, capabilities.markup) <= capabilities.maxMessageBytes)
        }
        let all = messages.map(\.plainText).joined(separator: "\n")
        #expect(all.contains("#100 "))
    }

    /// A line larger than a whole message (a document not made by the builder) is shortened, never sent too large.
    @Test(arguments: [
        ChatCapabilities(maxMessageBytes: 1_000, markup: .markdown), ChatCapabilities(maxMessageBytes: 1_500, markup: .html),
        ChatCapabilities(maxMessageBytes: 1_000, markup: .plain),
    ])
    func oversizedLineIsShortened(capabilities: ChatCapabilities) {
        let huge = RichText(template: "• {text}", values: ["text": String(repeating: "@<å\"", count: 2_000)])
        let document = DigestDocument(
            title: "Rubrik",
            sections: [
                DigestSection(heading: RichText(template: "**Del**"), lines: ["första", huge, "sista"]),
                DigestSection(heading: RichText(), lines: [huge]),
            ],
            continued: "(forts.)")
        let messages = DigestRenderer.messages(document, capabilities: capabilities)
        for message in messages {
            #expect(sentSize(message, capabilities.markup) <= capabilities.maxMessageBytes)
        }
        let plain = messages.map(\.plainText)
        #expect(plain.first?.hasPrefix("Rubrik\n\nDel\nförsta") == true)
        #expect(plain.contains { $0.hasPrefix("Del (forts.)\n• @<") && $0.contains("…") })
        #expect(plain.contains { $0.contains("sista") })
        #expect(plain.last?.hasPrefix("• @<å") == true)
    }

    @Test func cleanFoldsAndCuts() {
        #expect(DigestBuilder.clean("  a\n\nb\tc\u{2029}d  ") == "a b c d")
        #expect(DigestBuilder.clean("x\u{202E}y\u{2066}z") == "xyz")
        #expect(DigestBuilder.clean("👩‍👩‍👧 familj") == "👩‍👩‍👧 familj")
        let cut = DigestBuilder.clean(String(repeating: "å", count: 5_000))
        #expect(cut.count == DigestBuilder.fieldLimit)
        #expect(cut.hasSuffix("…"))
    }

    // MARK: 1,000 new ideas

    static func thousand() -> DigestData {
        DigestData(
            period: week,
            newIdeas: (1...1_000).map { number in
                DigestData.NewIdea(
                    idea: idea(number, "Idé nummer \(number) om något som skaver i vardagen på jobbet", unit: "Socialtjänst"),
                    challenge: number % 3 == 0 ? "Mindre papper" : nil, benefits: "colleagues")
            },
            funnel: [DigestData.StageCount(stage: .inkommen, count: 1_000), DigestData.StageCount(stage: .bedoms, count: 0)],
            challenges: [
                DigestData.RunningChallenge(
                    number: 1, title: "Mindre papper", deadline: CivilDate(iso: "2026-12-11")!, ideas: 333, newIdeas: 333)
            ])
    }

    @Test func aThousandNewIdeasAreCountedAndCutToTheTop() throws {
        let prompts = try loadPrompts()
        var data = Self.thousand()
        data.newIdeas += (1_001...1_040).map { number in
            DigestData.NewIdea(idea: Self.idea(number, "Idé \(number)", unit: "Skola"), challenge: nil, benefits: nil)
        }
        for withFile in [false, true] {
            let document = DigestBuilder.build(data, language: .sv, prompts: prompts, calendar: calendar, withFile: withFile)
            let messages = DigestRenderer.messages(document, capabilities: matrix)
            #expect(messages.count == 1, "a week of 1,040 ideas fits one message")
            let plain = messages[0].plainText
            let counts = [("Socialtjänst", "1000"), ("Skola", "40")].map { promptText(.digestCountItem, [.name: $0.0, .count: $0.1]) }
                .joined(separator: promptText(.digestFunnelSeparator))
            #expect(plain.contains(promptText(.digestNewTitle, [.count: "1040"]) + "\n" + promptText(.digestByUnit, [.counts: counts]) + "\n• #1 "))
            #expect(plain.contains("• #10 ") && !plain.contains("• #11 "))
            #expect(plain.contains(promptText(withFile ? .digestMoreInFile : .digestMore, [.count: "1030"])))
        }
        #expect(DigestBuilder.isCut(data))
        #expect(!DigestBuilder.isCut(DigestData(period: Self.week)))
    }

    @Test(arguments: [
        matrix, mattermost, ChatCapabilities(maxMessageBytes: 4_000, markup: .plain),
        ChatCapabilities(maxMessageBytes: 16_383, markup: .plain),
    ])
    func thousandIdeasSplitAtSectionBoundaries(capabilities: ChatCapabilities) throws {
        let prompts = try loadPrompts()
        // Uncapped, to test the splitting of a section longer than a message.
        let document = DigestBuilder.build(Self.thousand(), language: .sv, prompts: prompts, calendar: calendar, limit: .max)
        let messages = DigestRenderer.messages(document, capabilities: capabilities)
        #expect(messages.count > 1)
        for message in messages {
            #expect(sentSize(message, capabilities.markup) <= capabilities.maxMessageBytes)
        }
        // Every idea once, in order, across the parts.
        let numbers = messages.flatMap { message in
            message.plainText.split(separator: "\n").compactMap { line in
                line.firstMatch(of: /^• #(\d+) Idé nummer/).flatMap { Int($0.output.1) }
            }
        }
        #expect(numbers == Array(1...1_000))
        // Each part after the first starts with a heading: the continued one, or the next section's.
        let heading = promptText(.digestNewTitle, [.count: "1000"])
        let plains = messages.map(\.plainText)
        #expect(plains[0].hasPrefix(promptText(.digestTitle, [.from: "2026-11-16", .to: "2026-11-22"]) + "\n\n\(heading)\n• #1 "))
        for part in plains.dropFirst() {
            let first = String(part.prefix { $0 != "\n" })
            #expect(
                first == "\(heading) \(promptText(.digestContinued))"
                    || first.hasPrefix(testPrompts.fragments(.digestFunnelTitle)[0])
                    || first.hasPrefix(testPrompts.fragments(.digestChallengesTitle)[0]), "\(first)")
        }
        // The small sections are never cut: each is whole in one part.
        for small in [testPrompts.fragments(.digestFunnelTitle)[0], testPrompts.fragments(.digestChallengesTitle)[0]] {
            let holding = plains.filter { $0.contains(small) }
            #expect(holding.count == 1)
            let after = try #require(holding.first?.components(separatedBy: small).last)
            #expect(after.split(separator: "\n").count >= 2)
        }
        // Markdown and HTML keep the heading's markup when continued.
        let continuedHeading =
            testPrompts.text(.digestNewTitle, .sv, [.count: "1000"]) + RichText([.text(" ")]) + testPrompts.text(.digestContinued, .sv)
        if capabilities.markup == .markdown {
            #expect(messages[1].markdown.hasPrefix(continuedHeading.markdown))
        }
        if capabilities.markup == .html {
            #expect(messages[1].html.hasPrefix(continuedHeading.html + "<br>"))
        }
    }

    @Test func englishContinuationMarker() throws {
        let document = DigestBuilder.build(Self.thousand(), language: .en, prompts: try loadPrompts(), calendar: calendar, limit: .max)
        let messages = DigestRenderer.messages(document, capabilities: mattermost)
        #expect(messages.count > 1)
        #expect(
            messages[1].plainText.hasPrefix(
                "\(promptText(.digestNewTitle, [.count: "1000"], in: .en)) \(promptText(.digestContinued, in: .en))\n• #"))
    }

    @Test func messageSizeMeasureMatchesWhatIsSent() {
        let text = RichText(template: "**Rubrik** \"citat\" / \\ <tagg> å\n{x}", values: ["x": "\u{1}\t@room"])
        for markup in [ChatCapabilities.Markup.html, .markdown, .plain] {
            let measured = DigestRenderer.Measure(markup: markup).size(text)
            #expect(measured >= sentSize(text, markup))
        }
    }

    // MARK: Guide digest

    @Test func guideDigestCapsLongLists() throws {
        let data = GuideDigestData(
            guide: olle, period: Self.week, waiting: (1...40).map { Self.idea($0, "Idé \($0)") },
            assigned: [DigestIdea(number: 50, title: "Min idé", unit: "Skola", stage: .utvecklas)])
        let document = try #require(
            DigestBuilder.buildGuide(data, language: .sv, prompts: try loadPrompts(), calendar: calendar))
        let plain = DigestRenderer.render(document, as: .plain)
        #expect(plain.contains(promptText(.digestGuideWaitingTitle, [.count: "40"])))
        #expect(plain.contains(promptText(.digestGuideLine, [.number: "15", .title: "Idé 15", .stage: stageName(.inkommen), .unit: "Skola"])))
        #expect(!plain.contains("#16 "))
        #expect(plain.contains(promptText(.digestGuideMore, [.count: "25"])))
        #expect(
            plain.contains(
                promptText(.digestGuideAssignedTitle, [.count: "1"]) + "\n"
                    + promptText(.digestGuideLine, [.number: "50", .title: "Min idé", .stage: stageName(.utvecklas), .unit: "Skola"])))
        #expect(!testPrompts.says(plain, .digestGuideOverdueTitle))
    }

    @Test func emptyGuideInboxIsNoDigest() throws {
        let data = GuideDigestData(guide: olle, period: Self.week)
        #expect(DigestBuilder.buildGuide(data, language: .sv, prompts: try loadPrompts(), calendar: calendar) == nil)
    }
}
