import Chat
import Foundation
import Intake
import SkavTesting
import Testing
import Prompts
import Store

@testable import SkavBot
@testable import SkavTools
@testable import Digest

/// `skav ideas export --format csv` never hands a spreadsheet a live formula (OWASP, CSV injection).
@Suite struct CSVInjectionTests {
    let start = EngineHarness.start

    /// Reads the export the way a spreadsheet does: BOM, `;`, quoted fields with doubled quotes, CRLF rows.
    static func cells(_ data: Data) -> [[String]] {
        var text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        // By characters: "\r\n" is one, so a row end is one character.
        var characters = Array(text)[...]
        while let c = characters.popFirst() {
            if quoted {
                if c == "\"" {
                    if characters.first == "\"" {
                        characters.removeFirst()
                        field.append("\"")
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == "\"" && field.isEmpty {
                quoted = true
            } else if c == ";" {
                row.append(field)
                field = ""
            } else if c == "\r\n" {
                row.append(field)
                rows.append(row)
                row = []
                field = ""
            } else {
                field.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { rows.append(row + [field]) }
        return rows
    }

    @Test func cellsThatWouldBeFormulasAreReadAsText() throws {
        let nasty = [
            "=HYPERLINK(\"http://evil.example/x\";\"Klicka här\")", "+46 70 123", "-2+3", "@SUMMA(A1)",
            "\t=1+1", "\r=1+1", "  =cmd|' /C calc'!A0", "\n@x",
        ]
        let ideas = nasty.enumerated().map { index, text in
            Idea(
                number: index + 1, author: Cast.anna, title: text, problem: text, benefits: text,
                solution: text, theme: text, unit: text, stage: .inkommen, guide: Cast.karin,
                createdAt: start, updatedAt: start, submittedAt: start)
        }
        let rows = Self.cells(IdeaExport.csv(ideas))
        #expect(rows.count == ideas.count + 1)
        for row in rows.dropFirst() {
            #expect(row.count == IdeaExport.columns.count)
            for cell in row {
                let first = cell.first(where: { $0 != " " && $0 != "\n" })
                #expect(first.map { !CSV.formulaTriggers.contains($0) } ?? true, "a live formula: \(cell.debugDescription)")
            }
        }
        // The text itself is kept, behind the single quote; ordinary cells are untouched.
        let title = IdeaExport.columns.firstIndex(of: "title")!
        #expect(rows[1][title] == "'" + nasty[0])
        #expect(rows[2][IdeaExport.columns.firstIndex(of: "author")!] == "'@anna:kommun.se")
        #expect(rows[1][0] == "1")
        #expect(CSV.neutralise("Tolk – snabbare") == "Tolk – snabbare")
        #expect(CSV.neutralise("") == "")
        #expect(CSV.neutralise("2026-11-30T10:00:00Z") == "2026-11-30T10:00:00Z")
    }

    @Test func theJSONExportStaysRaw() throws {
        let idea = Idea(
            number: 1, author: Cast.anna, title: "=HYPERLINK(\"x\")", problem: "=HYPERLINK(\"x\")",
            stage: .inkommen, createdAt: start, updatedAt: start, submittedAt: start)
        let data = try IdeaExport.json([(idea, [])])
        let array = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(array.first?["title"] as? String == "=HYPERLINK(\"x\")")
    }
}
