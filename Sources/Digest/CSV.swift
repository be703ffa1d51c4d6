import Foundation

/// CSV as spreadsheets in a Swedish locale read it, for every CSV file Skav writes (the idea export, the digest's
/// full lists): UTF-8 with a byte-order mark (so Excel knows the encoding and keeps å/ä/ö), `;` between fields
/// (the Swedish list separator), CRLF line ends, fields quoted when they hold `;`, `"`, a line break or
/// leading/trailing space (quotes doubled), and every cell a spreadsheet would take for a formula neutralised.
public enum CSV {
    /// What a CSV file of Skav starts with: the UTF-8 byte-order mark.
    public static let start = "\u{FEFF}"

    /// One CSV record: each cell neutralised and quoted as needed, `;` between, CRLF at the end. Every CSV
    /// Skav writes (the export, the digest's full lists) is made of these lines.
    public static func line(_ fields: [String]) -> String {
        fields.map { quote(neutralise($0)) }.joined(separator: ";") + "\r\n"
    }

    /// The characters that make Excel, LibreOffice or Google Sheets read a cell as a formula (OWASP, *CSV
    /// Injection*): `=`, `+`, `-`, `@`, tab and carriage return.
    public static let formulaTriggers: Set<Character> = ["=", "+", "-", "@", "\t", "\r", "\r\n"]

    /// A cell that starts with a formula character, also after leading spaces or line breaks (some
    /// spreadsheets trim them), gets a single quote in front, so it is read as text: an idea that begins
    /// `=HYPERLINK(…)` stays words. Everything else is unchanged. The JSON export is not a spreadsheet and
    /// stays raw.
    public static func neutralise(_ field: String) -> String {
        guard let first = field.first(where: { $0 != " " && $0 != "\n" }), formulaTriggers.contains(first) else {
            return field
        }
        return "'" + field
    }

    public static func quote(_ field: String) -> String {
        // Line breaks inside a field are kept as CRLF too, as Excel writes them.
        let normalized = field.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
        // By scalars: "\r\n" is one Character, equal to neither "\r" nor "\n".
        let needsQuotes = normalized.unicodeScalars.contains(where: { ";\"\r\n,".unicodeScalars.contains($0) })
            || normalized.first?.isWhitespace == true || normalized.last?.isWhitespace == true
        guard needsQuotes else { return normalized }
        return "\"" + normalized.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A date as the exports write it: ISO 8601, UTC.
    public static func iso(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
