import Chat
import Digest
import Foundation
import Intake
import SkavBot
import Prompts
import Store

/// A busy week of a large municipality, built in memory as the digest's data (no store): 300 new ideas in
/// 12 units (a few units much busier than the rest), 40 overdue, 60 stage changes, 8 clusters of similar
/// ideas, two running challenges. The same data on every run: the golden tests of the capped digest use it.
enum BusyWeek {
    static let units = [
        "Socialtjänst", "Skola", "Äldreomsorg", "Förskola", "Samhällsbyggnad", "Kultur och fritid", "Vård och omsorg",
        "Stadsledning", "Teknik", "Miljö", "Räddningstjänst", "Arbetsmarknad",
    ]
    static let things = [
        "schemat", "tolkbokningen", "vikarielistan", "nycklarna till bilarna", "blanketten för hembesök",
        "läkemedelslistan", "föräldramötet", "bygglovsansökan", "semesterlistan", "passerkortet", "sjukanmälan",
        "matsedeln", "avvikelserapporten", "introduktionen för nyanställda", "tidrapporten",
    ]
    static let troubles = [
        "tar för lång tid", "görs på papper", "finns i tre system", "blir fel varje vecka", "saknar en ägare",
        "måste göras om",
    ]
    static let guides = units.enumerated().map { UserID("@guide\($0.offset):kommun.se") }

    static var period: DigestPeriod { DigestPeriod(since: at("2026-11-16"), until: at("2026-11-23")) }

    /// Unit of the n-th idea: the first units get most ideas (about 1/(i+1)).
    static func unit(_ n: Int) -> String {
        let weights = units.indices.map { 60 / ($0 + 1) }
        var rest = (n * 7919) % weights.reduce(0, +)
        for (index, weight) in weights.enumerated() {
            if rest < weight { return units[index] }
            rest -= weight
        }
        return units[0]
    }

    static func title(_ n: Int) -> String {
        let thing = things[(n * 31) % things.count]
        return thing.prefix(1).uppercased() + thing.dropFirst() + " " + troubles[(n * 17) % troubles.count]
    }

    static func idea(_ number: Int, stage: IdeaStage = .inkommen) -> DigestIdea {
        DigestIdea(number: number, title: title(number), unit: unit(number), stage: stage)
    }

    static var data: DigestData {
        let first = 4_201
        let new = (0..<300).map { offset -> DigestData.NewIdea in
            let number = first + offset
            return DigestData.NewIdea(
                idea: idea(number),
                challenge: number % 9 == 0 ? "Klimatsmart vardag" : nil,
                benefits: ["residents", "colleagues", nil, "businesses", "Eleverna och deras föräldrar"][number % 5])
        }
        let overdue = (0..<40).map { index -> DigestOverdue in
            let kind: DigestOverdue.Kind = index < 6 ? .escalated : index < 24 ? .followup : .stale
            let number = 3_000 + index * 23
            let waited = Double(60 - index) * 86_400 * 0.8
            let unit = unit(number)
            let guide = units.firstIndex(of: unit).map { guides[$0] }
            return DigestOverdue(
                idea: idea(number, stage: kind == .stale ? (index % 2 == 0 ? .utvecklas : .testas) : .inkommen), kind: kind,
                waitingSince: period.until.addingTimeInterval(-waited - 20 * 86_400),
                followers: index % 7 == 3 ? [] : guide.map { [$0] } ?? [])
        }
        let stages: [(IdeaStage?, IdeaStage)] = [
            (.inkommen, .bedoms), (.bedoms, .utvecklas), (.utvecklas, .testas), (.testas, .realiserad),
            (.bedoms, .parkerad), (.bedoms, .avslutad), (.inkommen, .bedoms), (.inkommen, .bedoms),
        ]
        let changes = (0..<60).map { index -> DigestData.StageChange in
            let (from, to) = stages[index % stages.count]
            let number = 3_500 + index * 11
            return DigestData.StageChange(
                number: number, title: title(number), from: from, to: to,
                at: period.since.addingTimeInterval(Double(index) * 9_000 + 8 * 3_600))
        }
        let clusters = (0..<8).map { index -> DigestData.Cluster in
            let numbers = (0..<(2 + index % 3)).map { first + index * 3 + $0 * 37 }
            let ideas = numbers.map { number in
                DigestIdea(number: number, title: title(first + index * 3), unit: units[(index + number) % units.count], stage: .inkommen)
            }
            return DigestData.Cluster(ideas: ideas, suggestion: Array(numbers.prefix(2)))
        }
        let total = [420, 380, 290, 160, 210, 95, 1_240]
        let funnel = zip(IdeaStage.allCases.filter { $0 != .utkast }, [300 + 610] + total.dropFirst().map { $0 }).map {
            DigestData.StageCount(stage: $0.0, count: $0.1)
        }
        return DigestData(
            period: period, newIdeas: new, funnel: funnel, overdue: overdue, stageChanges: changes, clusters: clusters,
            challenges: [
                DigestData.RunningChallenge(
                    number: 4, title: "Mindre papper i vardagen", deadline: CivilDate(iso: "2026-12-11")!, ideas: 212,
                    newIdeas: 64),
                DigestData.RunningChallenge(
                    number: 5, title: "Klimatsmart vardag", deadline: CivilDate(iso: "2027-01-29")!, ideas: 41, newIdeas: 12),
            ],
            guideActions: 87)
    }
}
