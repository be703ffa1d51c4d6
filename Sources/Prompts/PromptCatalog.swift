public import Chat
public import Foundation
import Yams

/// Why the prompts could not be loaded. The description names the file and, where known, the key and line.
public struct PromptCatalogError: Error, CustomStringConvertible, Sendable, Equatable {
    private enum Code: Sendable, Equatable {
        case unreadable, invalidYAML, invalidValue, duplicateKey, notFound
    }

    private let code: Code
    /// The file (or, for `notFound`, the list of places searched).
    public let file: String
    public let key: String?
    public let detail: String

    private init(_ code: Code, file: String, key: String? = nil, detail: String) {
        self.code = code
        self.file = file
        self.key = key
        self.detail = detail
    }

    static func unreadable(_ file: String, _ detail: String) -> Self { Self(.unreadable, file: file, detail: detail) }
    static func invalidYAML(_ file: String, _ detail: String) -> Self { Self(.invalidYAML, file: file, detail: detail) }
    static func invalidValue(_ file: String, key: String, _ detail: String) -> Self {
        Self(.invalidValue, file: file, key: key, detail: detail)
    }
    static func duplicateKey(_ file: String, key: String, _ detail: String) -> Self {
        Self(.duplicateKey, file: file, key: key, detail: detail)
    }
    static func notFound(searched: [String]) -> Self {
        Self(.notFound, file: searched.joined(separator: ", "), detail: "no sv.yaml and en.yaml found")
    }

    /// A short label for logs and metrics.
    public var label: String {
        switch code {
        case .unreadable: "prompts.unreadable"
        case .invalidYAML: "prompts.invalid_yaml"
        case .invalidValue: "prompts.invalid_value"
        case .duplicateKey: "prompts.duplicate_key"
        case .notFound: "prompts.not_found"
        }
    }

    public var description: String {
        switch code {
        case .notFound: "prompts not found (\(detail)); looked in: \(file)"
        default:
            if let key { "\(file): key '\(key)': \(detail)" } else { "\(file): \(detail)" }
        }
    }
}

/// All user-facing texts, keyed, per language (SkavBot.docc/Conversation.md). Loaded from `prompts/sv.yaml` and
/// `prompts/en.yaml`. Nested YAML maps flatten to dotted keys (`question.benefits`); a value is a
/// string (a template, see `RichText(template:values:)`) or a list of strings (variants).
public struct PromptCatalog: Sendable {
    /// A template or a list of template variants.
    enum Entry: Sendable, Equatable {
        case single(String)
        case variants([String])

        var templates: [String] {
            switch self {
            case .single(let text): [text]
            case .variants(let list): list
            }
        }
    }

    let tables: [Language: [String: Entry]]
    /// Every template read once (`RichText.Template`): an answer only fills in its placeholders.
    private let compiled: [Language: [String: [RichText.Template]]]

    init(tables: [Language: [String: Entry]]) {
        self.tables = tables
        compiled = tables.mapValues { $0.mapValues { $0.templates.map(RichText.Template.init) } }
    }

    // MARK: Loading

    /// Reads `sv.yaml` and `en.yaml` from `directory`.
    public static func load(directory: URL) throws -> PromptCatalog {
        var tables: [Language: [String: Entry]] = [:]
        for language in Language.allCases {
            let url = directory.appendingPathComponent("\(language.rawValue).yaml")
            let text: String
            do {
                text = try String(contentsOf: url, encoding: .utf8)
            } catch {
                throw PromptCatalogError.unreadable(url.path, "cannot read the file (\(error.localizedDescription))")
            }
            let table = try parse(yaml: text, file: url.path)
            try checkPlaceholders(table, file: url.path)
            tables[language] = table
        }
        return PromptCatalog(tables: tables)
    }

    /// Every text of a key the code uses may only name placeholders the code fills for that key: a `{name}`
    /// the code never gives would reach people as it stands. (A text may leave a placeholder out.)
    static func checkPlaceholders(_ table: [String: Entry], file: String) throws {
        for key in PromptKey.allCases {
            guard let entry = table[key.rawValue] else { continue }
            let allowed = Set(key.placeholders.map(\.rawValue))
            for template in entry.templates {
                let unknown = placeholders(template).subtracting(allowed)
                guard unknown.isEmpty else {
                    let given = allowed.isEmpty ? "none" : allowed.sorted().map { "{\($0)}" }.joined(separator: ", ")
                    throw PromptCatalogError.invalidValue(
                        file, key: key.rawValue,
                        "uses \(unknown.sorted().map { "{\($0)}" }.joined(separator: ", ")), which the code does not fill "
                            + "(it gives: \(given))")
                }
            }
        }
    }

    /// Parses one language file into flat dotted keys.
    static func parse(yaml: String, file: String) throws -> [String: Entry] {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw PromptCatalogError.invalidYAML(file, "\(error)")
        }
        guard let root else { return [:] }
        guard root.mapping != nil else {
            throw PromptCatalogError.invalidYAML(file, "the top level must be a map of keys to texts")
        }
        var table: [String: Entry] = [:]
        try flatten(root, prefix: "", file: file, into: &table)
        return table
    }

    private static func flatten(_ node: Node, prefix: String, file: String, into table: inout [String: Entry]) throws {
        let key = prefix.isEmpty ? "(top level)" : prefix
        let line = node.mark.map { " (line \($0.line))" } ?? ""
        switch node {
        case .mapping(let mapping):
            var seen: Set<String> = []
            for (keyNode, value) in mapping {
                guard let name = keyNode.scalar?.string, !name.isEmpty else {
                    throw PromptCatalogError.invalidValue(file, key: key, "a key is not a plain string\(line)")
                }
                guard seen.insert(name).inserted else {
                    throw PromptCatalogError.duplicateKey(file, key: prefix.isEmpty ? name : "\(prefix).\(name)",
                        "the key appears twice\(keyNode.mark.map { " (line \($0.line))" } ?? "")")
                }
                try flatten(value, prefix: prefix.isEmpty ? name : "\(prefix).\(name)", file: file, into: &table)
            }
        case .scalar(let scalar):
            guard !prefix.isEmpty else {
                throw PromptCatalogError.invalidYAML(file, "the top level must be a map of keys to texts")
            }
            table[prefix] = .single(clean(scalar.string))
        case .sequence(let sequence):
            var list: [String] = []
            for item in sequence {
                guard let text = item.scalar?.string else {
                    throw PromptCatalogError.invalidValue(file, key: key, "every variant must be a text\(line)")
                }
                list.append(clean(text))
            }
            guard !list.isEmpty else {
                throw PromptCatalogError.invalidValue(file, key: key, "a list of variants must not be empty\(line)")
            }
            table[prefix] = .variants(list)
        case .alias:
            throw PromptCatalogError.invalidValue(file, key: key, "aliases are not supported\(line)")
        }
    }

    /// Block scalars end with a newline; a message should not.
    private static func clean(_ text: String) -> String {
        var text = text
        while let last = text.last, last.isNewline { text.removeLast() }
        return text
    }

    /// Finds and loads the prompts. An explicit directory is authoritative (an error if it holds no
    /// prompts); otherwise the first directory holding `sv.yaml` of: `$SKAV_PROMPTS`,
    /// `<executable dir>/../share/skav/prompts`, `<executable dir>/prompts`, and the repository's `prompts/`.
    public static func locate(explicit: String?) throws -> PromptCatalog {
        if let explicit {
            let url = URL(fileURLWithPath: explicit, isDirectory: true)
            guard holdsPrompts(url) else { throw PromptCatalogError.notFound(searched: [url.path]) }
            return try load(directory: url)
        }
        let candidates = searchPath(environment: ProcessInfo.processInfo.environment)
        for candidate in candidates where holdsPrompts(candidate) {
            return try load(directory: candidate)
        }
        throw PromptCatalogError.notFound(searched: candidates.map(\.path))
    }

    static func searchPath(environment: [String: String]) -> [URL] {
        var candidates: [URL] = []
        if let fromEnvironment = environment["SKAV_PROMPTS"], !fromEnvironment.isEmpty {
            candidates.append(URL(fileURLWithPath: fromEnvironment, isDirectory: true))
        }
        let executable = Bundle.main.executableURL
            ?? URL(fileURLWithPath: CommandLine.arguments.first ?? ".")
        let executableDirectory = executable.resolvingSymlinksInPath().deletingLastPathComponent()
        candidates.append(
            executableDirectory.appendingPathComponent("../share/skav/prompts", isDirectory: true).standardizedFileURL)
        candidates.append(executableDirectory.appendingPathComponent("prompts", isDirectory: true))
        candidates.append(repositoryPrompts)
        return candidates
    }

    /// `prompts/` at the top of the repository this file was compiled from.
    static var repositoryPrompts: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // Prompts
            .deletingLastPathComponent()  // Sources
            .deletingLastPathComponent()  // repository
            .appendingPathComponent("prompts", isDirectory: true)
    }

    private static func holdsPrompts(_ directory: URL) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent("sv.yaml").path)
    }

    // MARK: Lookup

    /// The text for `key` in `language` (falling back to Swedish; a key missing everywhere gives the key
    /// itself). For a list of variants, the first. Raw keys are for texts whose key is built at run time.
    public func text(_ key: String, _ language: Language, _ values: [String: String] = [:]) -> RichText {
        variant(key, language, seed: 0, values)
    }

    /// One of the variants listed under `key`, chosen deterministically: `seed` modulo the number of variants.
    public func variant(_ key: String, _ language: Language, seed: Int, _ values: [String: String] = [:]) -> RichText {
        guard let templates = compiled[language]?[key] ?? compiled[.sv]?[key], !templates.isEmpty else {
            return RichText(plain: key)
        }
        let count = templates.count
        let index = ((seed % count) + count) % count
        return templates[index].render(values)
    }

    /// The text for `key` in `language`, its placeholders filled from `values` (the key's `placeholders`).
    public func text(_ key: PromptKey, _ language: Language, _ values: [Placeholder: String] = [:]) -> RichText {
        text(key.rawValue, language, Self.named(values))
    }

    public func variant(
        _ key: PromptKey, _ language: Language, seed: Int, _ values: [Placeholder: String] = [:]
    ) -> RichText {
        variant(key.rawValue, language, seed: seed, Self.named(values))
    }

    private static func named(_ values: [Placeholder: String]) -> [String: String] {
        var named: [String: String] = [:]
        named.reserveCapacity(values.count)
        for (placeholder, value) in values { named[placeholder.rawValue] = value }
        return named
    }

    /// Whether `key` exists in `language` itself (no fallback).
    public func contains(_ key: String, _ language: Language) -> Bool { tables[language]?[key] != nil }

    /// The `{name}` placeholders of `key` in `language` (all variants together; no fallback).
    public func placeholders(_ key: String, _ language: Language) -> Set<String> {
        (tables[language]?[key]?.templates ?? []).reduce(into: Set<String>()) { $0.formUnion(Self.placeholders($1)) }
    }

    /// All keys of one language, sorted.
    public func keys(_ language: Language) -> [String] { (tables[language] ?? [:]).keys.sorted() }

    /// Problems with the catalog: keys present in one language only, placeholders that differ between
    /// languages, or between the variants of one key.
    public func validate() -> [String] {
        var problems: [String] = []
        let sv = tables[.sv] ?? [:]
        let en = tables[.en] ?? [:]
        for key in sv.keys.sorted() where en[key] == nil { problems.append("\(key): in sv.yaml but missing in en.yaml") }
        for key in en.keys.sorted() where sv[key] == nil { problems.append("\(key): in en.yaml but missing in sv.yaml") }
        for language in Language.allCases {
            for (key, entry) in (tables[language] ?? [:]).sorted(by: { $0.key < $1.key }) {
                let sets = entry.templates.map(Self.placeholders)
                if let first = sets.first, sets.contains(where: { $0 != first }) {
                    problems.append("\(key): the variants in \(language.rawValue).yaml use different placeholders")
                }
            }
        }
        for key in sv.keys.sorted() {
            guard let svEntry = sv[key], let enEntry = en[key] else { continue }
            let svNames = svEntry.templates.map(Self.placeholders).reduce(Set<String>()) { $0.union($1) }
            let enNames = enEntry.templates.map(Self.placeholders).reduce(Set<String>()) { $0.union($1) }
            if svNames != enNames {
                problems.append(
                    "\(key): placeholders differ (sv: \(svNames.sorted().joined(separator: ", ")); "
                        + "en: \(enNames.sorted().joined(separator: ", ")))")
            }
        }
        return problems
    }

    /// Problems between the catalog and the code: a key the code uses (`PromptKey`) missing in a language, or
    /// whose texts use other placeholders than the code gives (`PromptKey.placeholders`). Empty for the
    /// shipped prompts (a test says so); a slip such as an unquoted ` #` that cuts a text short shows here.
    public func checkAgainstCode() -> [String] {
        var problems: [String] = []
        for key in PromptKey.allCases {
            let expected = Set(key.placeholders.map(\.rawValue))
            for language in Language.allCases {
                guard let entry = tables[language]?[key.rawValue] else {
                    problems.append("\(key.rawValue): used by the code but missing in \(language.rawValue).yaml")
                    continue
                }
                let used = entry.templates.map(Self.placeholders).reduce(Set<String>()) { $0.union($1) }
                if used != expected {
                    problems.append(
                        "\(key.rawValue): \(language.rawValue).yaml uses {\(used.sorted().joined(separator: "}, {"))}, "
                            + "the code gives {\(expected.sorted().joined(separator: "}, {"))}")
                }
            }
        }
        return problems
    }

    /// The `{name}` placeholders of a template.
    static func placeholders(_ template: String) -> Set<String> {
        var names: Set<String> = []
        var rest = template[...]
        while let open = rest.firstIndex(of: "{") {
            let after = rest[rest.index(after: open)...]
            guard let close = after.firstIndex(of: "}") else { break }
            let name = after[..<close]
            if !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
                names.insert(String(name))
            }
            rest = after[after.index(after: close)...]
        }
        return names
    }
}
