import Chat
import Conversation
import Intake
import Masking
import Prompts
import Store

/// What the person is told when the personal-data scanner masked something in their message.
enum MaskingNotice {
    /// "Jag tog bort ett personnummer och en e-postadress …", or nil when nothing was masked.
    static func masked(_ scan: ScanResult, prompts: PromptCatalog, language: Language) -> RichText? {
        guard scan.hasFindings else { return nil }
        let parts = scan.kinds.map { kind in
            let count = scan.count(kind)
            let key = count == 1 ? one(kind) : many(kind)
            return prompts.text(key, language, count == 1 ? [:] : [.count: "\(count)"]).plainText
        }
        return prompts.text(.privacyMasked, language, [.kinds: list(parts, and: prompts.text(.privacyAnd, language).plainText)])
    }

    /// "a", "a och b", "a, b och c".
    static func list(_ parts: [String], and: String) -> String {
        guard let last = parts.last else { return "" }
        if parts.count == 1 { return last }
        return parts.dropLast().joined(separator: ", ") + " \(and) " + last
    }

    static func one(_ kind: PersonalDataKind) -> PromptKey {
        switch kind {
        case .personnummer: .privacyPersonnummer
        case .samordningsnummer: .privacySamordningsnummer
        case .phone: .privacyPhone
        case .email: .privacyEmail
        }
    }

    static func many(_ kind: PersonalDataKind) -> PromptKey {
        switch kind {
        case .personnummer: .privacyPersonnummerMany
        case .samordningsnummer: .privacySamordningsnummerMany
        case .phone: .privacyPhoneMany
        case .email: .privacyEmailMany
        }
    }
}
