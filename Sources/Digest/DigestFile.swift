import Chat
import Foundation
import Intake
import Prompts

/// The coordinators' digest's full lists as one CSV file, sent after the digest when a list was cut and the
/// server takes files. Written with the export's cell writer (`CSV.line`): UTF-8 with a BOM, `;`,
/// CRLF, every cell neutralised. One row per item; the `section` column says which list it belongs to:
///
/// - `new`: number, title, unit, stage, challenge, benefits (as stored: a choice key or the free text);
/// - `overdue`: number, title, unit, stage, kind (`followup`, `escalated`, `stale`), waiting_since, working_days,
///   guide (who follows it up, comma-separated);
/// - `stage_change`: number, title, from, to, at;
/// - `cluster`: cluster (1, 2, … as the digest orders them), number, title, unit.
///
/// Dates are ISO 8601, as in `skav ideas export`.
public enum DigestFile {
    static let columns = [
        "section", "cluster", "number", "title", "unit", "stage", "challenge", "benefits", "kind", "waiting_since",
        "working_days", "guide", "from", "to", "at",
    ]

    static func csv(_ data: DigestData, calendar: WorkingCalendar) -> Data {
        var text = CSV.start + CSV.line(columns)
        func row(_ section: String, _ values: [String: String]) {
            text += CSV.line([section] + columns.dropFirst().map { values[$0] ?? "" })
        }
        func idea(_ idea: DigestIdea) -> [String: String] {
            ["number": "\(idea.number)", "title": idea.title, "unit": idea.unit ?? "", "stage": idea.stage.rawValue]
        }
        for new in data.newIdeas {
            row("new", idea(new.idea).merging(["challenge": new.challenge ?? "", "benefits": new.benefits ?? ""]) { $1 })
        }
        for overdue in data.overdue {
            let days = DigestBuilder.workingDays(from: overdue.waitingSince, to: data.period.until, calendar: calendar)
            row(
                "overdue",
                idea(overdue.idea).merging(
                    [
                        "kind": overdue.kind.rawValue, "waiting_since": CSV.iso(overdue.waitingSince),
                        "working_days": "\(days)", "guide": overdue.followers.map(\.rawValue).joined(separator: ", "),
                    ]
                ) { $1 })
        }
        for change in data.stageChanges {
            row(
                "stage_change",
                [
                    "number": "\(change.number)", "title": change.title, "from": change.from?.rawValue ?? "",
                    "to": change.to.rawValue, "at": CSV.iso(change.at),
                ])
        }
        for (index, cluster) in data.clusters.enumerated() {
            for member in cluster.ideas {
                row("cluster", idea(member).merging(["cluster": "\(index + 1)"]) { $1 })
            }
        }
        return Data(text.utf8)
    }

    /// The file: `skav-sammanfattning-<from>-<to>.csv` (`skav-digest-…` in English).
    public static func attachment(_ data: DigestData, language: Language, calendar: WorkingCalendar) -> FileAttachment {
        let days = DigestBuilder.days(data.period, calendar: calendar)
        let name = language == .sv ? "skav-sammanfattning" : "skav-digest"
        return FileAttachment(
            filename: "\(name)-\(days.from)-\(days.to).csv", mimeType: "text/csv", data: csv(data, calendar: calendar))
    }
}
