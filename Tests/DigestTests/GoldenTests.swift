import Chat
import Digest
import Foundation
import Intake
import SkavBot
@testable import SkavTools
import Digest
import SkavTesting
import Testing
import Prompts
import Store

/// The demo organisation's week (`DigestDemo`, the same as `skav digest --demo`) rendered in every
/// language and markup, compared with `Golden/`. Regenerate with `SKAV_UPDATE_GOLDEN=1 swift test --filter DigestTests`.
@Suite struct GoldenTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    static func check(_ actual: String, file name: String) throws {
        let url = golden.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["SKAV_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: golden, withIntermediateDirectories: true)
            try (actual + "\n").write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(actual + "\n" == expected, "\(name) differs; run with SKAV_UPDATE_GOLDEN=1 to regenerate and review the diff")
    }

    static let extensions: [ChatCapabilities.Markup: String] = [.plain: "txt", .html: "html", .markdown: "md"]

    @Test(arguments: Language.allCases, [ChatCapabilities.Markup.plain, .html, .markdown])
    func demoWeek(language: Language, markup: ChatCapabilities.Markup) throws {
        let rendered = try DigestDemo.render(language: language, markup: markup, calendar: calendar, prompts: try loadPrompts())
        try Self.check(rendered, file: "digest.\(language.rawValue).\(Self.extensions[markup]!)")
    }

    /// A busy week (`BusyWeek`: 300 new ideas in 12 units, 40 overdue, 60 stage changes, 8 clusters): every
    /// list section capped, with counts and "…and N more", naming the attached file as on Matrix.
    @Test(arguments: Language.allCases, [ChatCapabilities.Markup.plain, .html, .markdown])
    func busyWeek(language: Language, markup: ChatCapabilities.Markup) throws {
        let data = BusyWeek.data
        #expect(DigestBuilder.isCut(data))
        let document = DigestBuilder.build(data, language: language, prompts: try loadPrompts(), calendar: calendar, withFile: true)
        try Self.check(DigestRenderer.render(document, as: markup), file: "busy.\(language.rawValue).\(Self.extensions[markup]!)")
    }

    /// The busy week where the server takes no files: "…and N more" names no file.
    @Test(arguments: Language.allCases)
    func busyWeekWithoutFiles(language: Language) throws {
        let document = DigestBuilder.build(BusyWeek.data, language: language, prompts: try loadPrompts(), calendar: calendar)
        let plain = DigestRenderer.render(document, as: .plain)
        try Self.check(plain, file: "busy.\(language.rawValue).nofile.txt")
        #expect(!testPrompts.says(plain, .digestMoreInFile, language))
    }

    @Test(arguments: Language.allCases)
    func demoGuideInbox(language: Language) throws {
        let store = try DigestDemo.store(calendar: calendar)
        let period = DigestDemo.period(calendar: calendar)
        let data = try store.read { tx in
            try DigestLoader.loadGuide(tx, guide: olle, period: period, planner: DigestDemo.planner(calendar: calendar))
        }
        let document = try #require(
            DigestBuilder.buildGuide(data, language: language, prompts: try loadPrompts(), calendar: calendar))
        try Self.check(DigestRenderer.render(document, as: .plain), file: "guide.\(language.rawValue).txt")
    }

    /// The demo week holds every section, in the order of SkavBot.docc/Digests.md.
    @Test func demoHasEverySectionInOrder() throws {
        let plain = try DigestDemo.render(language: .sv, markup: .plain, calendar: calendar, prompts: try loadPrompts())
        let headings = [
            promptText(.digestTitle, [.from: "2026-11-16", .to: "2026-11-22"]), promptText(.digestNewTitle, [.count: "7"]),
            promptText(.digestFunnelTitle, [.count: "13"]), promptText(.digestOverdueTitle, [.count: "4"]),
            promptText(.digestChangesTitle, [.count: "3"]), promptText(.digestClustersTitle, [.count: "1"]),
            promptText(.digestChallengesTitle, [.count: "2"]), promptText(.digestThanks),
        ]
        var rest = plain[...]
        for heading in headings {
            let found = try #require(rest.range(of: heading), "\(heading) missing or out of order")
            rest = rest[found.upperBound...]
        }
        // The draft (#13) never shows; the passed challenge is flagged.
        #expect(!plain.contains("#13"))
        #expect(plain.contains(promptText(.digestChallengesPassed, [.number: "1"])))
        #expect(!plain.contains(promptText(.digestChallengesPassed, [.number: "2"])))
    }

    /// The demo week split for Mattermost and Matrix: every part fits, and together they are the whole digest.
    @Test(arguments: [matrix, mattermost, ChatCapabilities(maxMessageBytes: 1_500, markup: .markdown)])
    func demoSplitsWithoutLoss(capabilities: ChatCapabilities) throws {
        let store = try DigestDemo.store(calendar: calendar)
        let period = DigestDemo.period(calendar: calendar)
        let data = try store.read { tx in
            try DigestLoader.load(
                tx, period: period, planner: DigestDemo.planner(calendar: calendar), themes: DigestDemo.challenges)
        }
        let document = DigestBuilder.build(data, language: .sv, prompts: try loadPrompts(), calendar: calendar)
        let messages = DigestRenderer.messages(document, capabilities: capabilities)
        for message in messages { #expect(sentSize(message, capabilities.markup) <= capabilities.maxMessageBytes) }
        let continued = " " + document.continued.plainText
        let parts = messages.map(\.plainText).joined(separator: "\n\n").split(separator: "\n").map {
            $0.hasSuffix(continued) ? nil : String($0)
        }
        let whole = DigestRenderer.render(document, as: .plain).split(separator: "\n").map(String.init)
        #expect(parts.compactMap { $0 } == whole)
        if capabilities.maxMessageBytes >= 16_383 { #expect(messages.count == 1) } else { #expect(messages.count > 1) }
    }
}
