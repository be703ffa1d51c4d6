import Chat
import Conversation
import Foundation
import Intake
import Testing
import Prompts
import SkavTesting

@Suite final class CatalogTests {
    /// The prompts folders a test made, removed after it (a new suite instance runs each test).
    private var made: [URL] = []

    deinit {
        for directory in made { try? FileManager.default.removeItem(at: directory) }
    }

    @Test func realPromptsAreConsistent() throws {
        let prompts = try loadPrompts()
        #expect(prompts.validate() == [])
        #expect(prompts.keys(.sv) == prompts.keys(.en))
        #expect(!prompts.keys(.sv).isEmpty)
    }

    /// Every key the code uses exists in both languages with exactly the placeholders the code gives
    /// (`PromptKey.placeholders`, the one list of them).
    @Test func everyKeyTheCodeUsesExistsWithItsPlaceholders() throws {
        let prompts = try loadPrompts()
        #expect(prompts.checkAgainstCode() == [])
        for stage in IdeaStage.allCases {
            #expect(prompts.contains(PromptKey.stage(stage).rawValue, .en))
        }
    }

    /// A text that names a placeholder the code never fills is refused when the prompts are loaded, naming
    /// the file and the key (it would otherwise reach people as `{numbr}`).
    @Test func unknownPlaceholderIsRefusedAtLoad() throws {
        let directory = try promptsDirectory(
            sv: "draft:\n  saved: Sparat som {numbr}\n", en: "draft:\n  saved: Saved as {number}\n")
        #expect {
            try PromptCatalog.load(directory: directory)
        } throws: { error in
            let text = "\(error)"
            return text.contains("sv.yaml") && text.contains("draft.saved") && text.contains("{numbr}")
        }
    }

    /// The sources use `PromptKey`; any string-literal key passed to the catalog must exist too.
    @Test func sourcesUseOnlyKnownKeys() throws {
        let prompts = try loadPrompts()
        let files = try FileManager.default.contentsOfDirectory(at: sourcesDirectory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "swift" }
        #expect(files.count >= 3)
        let pattern = try Regex(#"(?:text|variant)\("([a-z_.]+)""#)
        for file in files {
            let source = try String(contentsOf: file, encoding: .utf8)
            for match in source.matches(of: pattern) {
                let key = String(match.output[1].substring ?? "")
                #expect(prompts.contains(key, .sv) && prompts.contains(key, .en), "\(file.lastPathComponent): \(key)")
            }
            // Every `.someKey` passed to `t(` is a PromptKey case, checked by the compiler; every case is checked above.
        }
    }

    @Test func botKeysExist() throws {
        let prompts = try loadPrompts()
        for key in ["bot.encrypted_room", "bot.not_direct", "bot.too_long", "bot.internal_error", "bot.not_allowed"] {
            #expect(prompts.contains(key, .sv) && prompts.contains(key, .en))
            #expect(prompts.text(key, .sv).plainText != key)
        }
        #expect(prompts.text(.botTooLong, .en, [.limit: "4000"]).plainText.contains("4000"))
    }

    @Test func stageNames() throws {
        let prompts = try loadPrompts()
        #expect(prompts.text(.stageBedoms, .sv).plainText == "Bedöms")
        #expect(prompts.text(PromptKey.stage(.inkommen), .en).plainText == "Submitted")
    }

    @Test func fallbackAndMissingKeys() throws {
        let directory = try promptsDirectory(
            sv: "a: Hej {name}\nonly_sv: Bara svenska\nlist:\n  - ett {n}\n  - två {n}\n",
            en: "a: Hi {who}\nlist: one {n}\nonly_en: x\n")
        let prompts = try PromptCatalog.load(directory: directory)
        #expect(prompts.text("a", .en, ["who": "Anna"]).plainText == "Hi Anna")
        #expect(prompts.text("only_sv", .en).plainText == "Bara svenska")
        #expect(prompts.text("nowhere", .en).plainText == "nowhere")
        #expect(prompts.variant("list", .sv, seed: 3, ["n": "3"]).plainText == "två 3")
        #expect(prompts.variant("list", .sv, seed: -1, ["n": "1"]).plainText == "två 1")
        #expect(prompts.variant("list", .en, seed: 5, ["n": "5"]).plainText == "one 5")
        #expect(prompts.text("list", .sv, ["n": "0"]).plainText == "ett 0")
        let problems = prompts.validate()
        #expect(problems.contains { $0.hasPrefix("only_sv:") && $0.contains("missing in en.yaml") })
        #expect(problems.contains { $0.hasPrefix("only_en:") && $0.contains("missing in sv.yaml") })
        #expect(problems.contains { $0.hasPrefix("a: placeholders differ") })
        #expect(problems.count == 3)
    }

    /// A broken file (YAML that does not parse, a list where a text belongs, a key twice): the error names
    /// the file and, where there is one, the key.
    @Test(arguments: [
        ("en.yaml", "ok: fine\nbroken: [unclosed\n", ["en.yaml"]),
        ("en.yaml", "ok: fine\nnested:\n  list:\n    - one\n    - inner: map\n", ["en.yaml", "nested.list"]),
        ("sv.yaml", "ok: fine\nok: twice\n", ["sv.yaml", "'ok'"]),
    ])
    func badYAMLNamesFileAndKey(file: String, yaml: String, named: [String]) throws {
        let directory = try promptsDirectory(
            sv: file == "sv.yaml" ? yaml : "ok: fine\n", en: file == "en.yaml" ? yaml : "ok: fine\n")
        #expect {
            try PromptCatalog.load(directory: directory)
        } throws: { error in
            named.allSatisfy { "\(error)".contains($0) }
        }
    }

    @Test func locate() throws {
        let found = try PromptCatalog.locate(explicit: repositoryPrompts.path)
        #expect(found.validate() == [])
        let missing = repositoryPrompts.appendingPathComponent("no-such-dir").path
        #expect {
            try PromptCatalog.locate(explicit: missing)
        } throws: { error in
            "\(error)".contains(missing)
        }
        // Without an explicit directory, the repository's prompts/ is found (last in the search order).
        #expect(try PromptCatalog.locate(explicit: nil).contains("greeting", .sv))
    }

    /// A new temporary prompts directory holding `sv.yaml` and `en.yaml` with these texts.
    private func promptsDirectory(sv: String, en: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("skav-prompts-\(UUID().uuidString)")
        made.append(url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, text) in [("sv.yaml", sv), ("en.yaml", en)] {
            try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return url
    }
}
