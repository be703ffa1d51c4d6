import Foundation
import Testing

/// The layering the README and the Architecture article promise, read from the sources' `import` lines: the
/// compiler keeps a module from using what it does not depend on, this keeps the dependencies themselves honest.
@Suite struct ModuleGraphTests {
    static let sources = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources")

    /// The modules each module imports (`import X`, `public import X`, `@testable import X`).
    static func imports() throws -> [String: Set<String>] {
        var graph: [String: Set<String>] = [:]
        let modules = try FileManager.default.contentsOfDirectory(atPath: sources.path)
        let pattern = try Regex(#"^\s*(?:@testable\s+|public\s+|package\s+|internal\s+)?import\s+([A-Za-z_][A-Za-z0-9_]*)"#)
        for module in modules {
            let folder = sources.appendingPathComponent(module)
            guard let files = FileManager.default.enumerator(atPath: folder.path) else { continue }
            var imported: Set<String> = []
            for case let file as String in files where file.hasSuffix(".swift") {
                let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                for line in text.split(separator: "\n") {
                    if let match = line.firstMatch(of: pattern), let name = match.output[1].substring {
                        imported.insert(String(name))
                    }
                }
            }
            graph[module] = imported
        }
        return graph
    }

    static let adapters: Set<String> = ["MatrixChat", "MattermostChat", "TerminalChat", "CurlHTTP", "ChatHTTP"]
    static let ours: Set<String> = [
        "Chat", "ChatHTTP", "CurlHTTP", "CrashGuard", "Prompts", "Intake", "Store", "Masking", "Conversation", "Digest",
        "MatrixChat", "MattermostChat", "TerminalChat", "Configuration", "SkavBot", "SkavTools", "SkavTesting",
    ]

    @Test func theConversationAndTheDigestArePure() throws {
        let graph = try Self.imports()
        for module in ["Conversation", "Digest"] {
            let imported = try #require(graph[module])
            #expect(imported.isDisjoint(with: ["GRDB", "Store", "SkavBot", "Configuration", "Yams"]), "\(module): \(imported.sorted())")
            #expect(imported.isDisjoint(with: Self.adapters), "\(module): \(imported.sorted())")
        }
        // Neither uses the other: both take their texts from Prompts.
        #expect(graph["Digest"]?.contains("Conversation") == false)
        #expect(graph["Conversation"]?.contains("Digest") == false)
    }

    @Test func adaptersKnowNothingOfTheModelOrTheStore() throws {
        let graph = try Self.imports()
        for (module, imported) in graph where Self.adapters.contains(module) {
            #expect(imported.isDisjoint(with: ["Intake", "Store", "Conversation", "Digest", "SkavBot", "GRDB"]),
                "\(module): \(imported.sorted())")
        }
    }

    @Test func onlyTheStoreSpeaksSQL() throws {
        let graph = try Self.imports()
        let usingGRDB = graph.filter { $0.value.contains("GRDB") }.map(\.key).sorted()
        #expect(usingGRDB == ["Store"])
    }

    @Test func theModelHasNoDatabaseAndNoServices() throws {
        let graph = try Self.imports()
        let model = try #require(graph["Intake"])
        #expect(model.intersection(Self.ours).isSubset(of: ["Chat", "Prompts"]), "\(model.sorted())")
        let configuration = try #require(graph["Configuration"])
        #expect(configuration.intersection(Self.ours).isSubset(of: ["Chat", "Intake", "Prompts"]), "\(configuration.sorted())")
    }
}
