import Foundation
import Testing

@testable import Masking

/// The labelled corpus in `corpus.tsv`: text, expected masked text (`=`: unchanged), expected warning.
@Suite struct CorpusTests {
    struct Sample {
        var line: Int
        var text: String
        var masked: String
        var warning: Bool
    }

    static func load() throws -> [Sample] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("corpus.tsv")
        let content = try String(contentsOf: url, encoding: .utf8)
        var samples: [Sample] = []
        for (index, line) in content.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.isEmpty || line.hasPrefix("#") { continue }
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard columns.count == 3, columns[2] == "0" || columns[2] == "1" else {
                Issue.record("corpus.tsv line \(index + 1) is malformed")
                continue
            }
            samples.append(
                Sample(
                    line: index + 1, text: columns[0], masked: columns[1] == "=" ? columns[0] : columns[1],
                    warning: columns[2] == "1"))
        }
        return samples
    }

    @Test func theCorpusIsMaskedAndWarnedExactlyAsLabelled() throws {
        let samples = try Self.load()
        let scanner = PersonalDataScanner()
        var falsePositives = 0
        var falseNegatives = 0
        var warningFP = 0
        var warningFN = 0
        for sample in samples {
            let result = scanner.scan(sample.text)
            if result.masked != sample.masked {
                // Text that should have stayed as it was, changed: a false positive. Personal data left (or
                // masked wrongly): a false negative.
                if sample.masked == sample.text { falsePositives += 1 } else { falseNegatives += 1 }
                Issue.record("line \(sample.line): got «\(result.masked)», expected «\(sample.masked)»")
            }
            if result.clientCaseWarning != sample.warning {
                if sample.warning { warningFN += 1 } else { warningFP += 1 }
                Issue.record("line \(sample.line): warning \(result.clientCaseWarning) \(result.clientCaseWords) for «\(sample.text)»")
            }
        }
        print(
            "personal-data scanner: \(samples.count) sentences, false positives \(falsePositives), "
                + "false negatives \(falseNegatives) (masking), warning FP \(warningFP), FN \(warningFN)")
        #expect(samples.count >= 150)
        #expect(samples.filter(\.warning).count >= 20)
        #expect(samples.filter { $0.masked != $0.text }.count >= 50)
        #expect(falsePositives == 0 && falseNegatives == 0 && warningFP == 0 && warningFN == 0)
    }

    /// Masking twice changes nothing; the masked text has nothing left to find.
    @Test func maskingIsIdempotent() throws {
        let scanner = PersonalDataScanner()
        for sample in try Self.load() {
            let once = scanner.scan(sample.text)
            let twice = scanner.scan(once.masked)
            #expect(twice.findings.isEmpty, "line \(sample.line)")
            #expect(twice.masked == once.masked, "line \(sample.line)")
        }
    }

    @Test func textWithoutFindingsIsNeverChanged() throws {
        let scanner = PersonalDataScanner()
        for sample in try Self.load() {
            let result = scanner.scan(sample.text)
            if result.findings.isEmpty { #expect(result.masked == sample.text, "line \(sample.line)") }
        }
    }
}
