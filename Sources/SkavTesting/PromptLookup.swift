import Chat
import Foundation
import Prompts

/// Looking texts up instead of quoting them: a test that checks behaviour says which prompt the bot sent
/// (and with what), so rewording `prompts/*.yaml` never breaks it.
extension PromptCatalog {
    /// What a person reads for `key` with `values` filled in (the first variant).
    public func plain(_ key: PromptKey, _ language: Language = .sv, _ values: [Placeholder: String] = [:]) -> String {
        text(key, language, values).plainText
    }

    /// Every variant of `key`, as a person reads it, with `values` filled in.
    public func variants(_ key: PromptKey, _ language: Language = .sv, _ values: [Placeholder: String] = [:]) -> [String] {
        let first = plain(key, language, values)
        var all = [first]
        for seed in 1..<64 {
            let next = variant(key, language, seed: seed, values).plainText
            if next == first { break }
            all.append(next)
        }
        return all
    }

    /// The literal runs of `key`'s text (first variant) with `values` filled in, split where a placeholder
    /// that was not given stands: what any message made from this prompt must contain, in order.
    public func fragments(_ key: PromptKey, _ language: Language = .sv, _ values: [Placeholder: String] = [:]) -> [String] {
        Self.fragments(of: plain(key, language, values))
    }

    /// Whether `text` contains the prompt `key` (any variant) with `values` filled in; placeholders not
    /// given may stand for anything, the words around them must be there, in order.
    public func says(
        _ text: String, _ key: PromptKey, _ language: Language = .sv, _ values: [Placeholder: String] = [:]
    ) -> Bool {
        variants(key, language, values).contains { Self.contains(text, inOrder: Self.fragments(of: $0)) }
    }

    static func fragments(of filled: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        var rest = Substring(filled)
        while let first = rest.first {
            if first == "{", let close = rest.firstIndex(of: "}"),
                rest[rest.index(after: rest.startIndex)..<close].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }),
                close > rest.index(after: rest.startIndex)
            {
                if !current.isEmpty { pieces.append(current) }
                current = ""
                rest = rest[rest.index(after: close)...]
                continue
            }
            current.append(first)
            rest = rest.dropFirst()
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }

    static func contains(_ text: String, inOrder pieces: [String]) -> Bool {
        var rest = Substring(text)
        for piece in pieces {
            guard let range = rest.range(of: piece) else { return false }
            rest = rest[range.upperBound...]
        }
        return true
    }
}
