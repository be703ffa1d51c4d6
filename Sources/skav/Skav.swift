import ArgumentParser
import Chat
import Conversation
import Digest
import Foundation
import Intake
import Logging
import SkavBot
import SkavTools
import Prompts
import Store
import Configuration

@main
struct Skav: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skav",
        abstract: "Skav catches ideas where they are born: a chat bot for a municipality's idea intake.",
        discussion: "Without a subcommand, Skav talks to you in the terminal (no config needed).",
        subcommands: [
            Terminal.self, Run.self, Ideas.self, Doctor.self, CalendarCommand.self, NudgesCommand.self,
            DigestCommand.self, QuarantineCommand.self,
        ],
        defaultSubcommand: Terminal.self
    )
}

/// Options every subcommand shares.
struct Common: ParsableArguments {
    @Option(name: .long, help: "The YAML config file (see config/skav.example.yaml).")
    var config: String?

    @Option(name: .long, help: "The SQLite database file (overrides database.path).")
    var database: String?

    func load(requireConfig: Bool = false) throws -> SkavConfig {
        // Every subcommand starts here: whatever it creates (the database, its -wal and -shm, exports) is
        // for this user only, also where a file is not created with an explicit mode.
        umask(0o077)
        var settings: SkavConfig
        if let config {
            do {
                settings = try SkavConfig.load(file: config)
            } catch {
                printError("\(error)")
                throw ExitCode(2)
            }
        } else if requireConfig {
            printError("this command needs --config FILE (see config/skav.example.yaml)")
            throw ExitCode(2)
        } else {
            settings = SkavConfig()
        }
        if let database { settings.databasePath = database }
        bootstrapLogging(level: settings.logLevel)
        return settings
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data("skav: \(text)\n".utf8))
}

/// Logs go to standard error; `SKAV_LOG_LEVEL` overrides the config's `log.level`.
func bootstrapLogging(level: String) {
    let chosen = ProcessInfo.processInfo.environment["SKAV_LOG_LEVEL"] ?? level
    let logLevel = Logger.Level(rawValue: chosen.lowercased()) ?? .info
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = logLevel
        return handler
    }
}

/// Runs `body`, turning known failures into one clear line and a non-zero exit.
func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as ExitCode {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch {
        printError("\(error)")
        throw ExitCode.failure
    }
}

struct Terminal: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat", abstract: "Talk to Skav in the terminal (the default).")

    @OptionGroup var common: Common

    func run() async throws {
        let config = try common.load()
        let logger = Logger(label: "skav")
        try await reportingErrors {
            try await SkavApp.runTerminal(config: config, logger: logger) { text in
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the bot on the chat server of the config.")

    @OptionGroup var common: Common

    func run() async throws {
        let config = try common.load(requireConfig: true)
        let logger = Logger(label: "skav")
        try await reportingErrors {
            try await SkavApp.runBot(config: config, logger: logger)
        }
    }
}

struct Ideas: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, show, export and move the ideas in the intake.",
        subcommands: [List.self, Show.self, Export.self, Stage.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List submitted ideas, oldest first.")
        @OptionGroup var common: Common
        @Flag(help: "Print JSON.") var json = false
        @Flag(help: "Include drafts.") var drafts = false
        @Option(help: "Only ideas in this stage (Swedish or English name, e.g. bedöms or review).") var stage: String?
        @Option(help: "Only ideas of this unit.") var unit: String?

        func run() async throws {
            let config = try common.load()
            var stages: [IdeaStage]? = drafts ? IdeaStage.allCases : nil
            if let stage {
                guard let parsed = IdeaStage(name: stage) else {
                    printError("unknown stage '\(stage)'")
                    throw ExitCode(2)
                }
                stages = [parsed]
            }
            let chosen = stages
            try await reportingErrors {
                let store = try SkavApp.openStore(config)
                let ideas = try store.read { tx in
                    try tx.ideas(stages: chosen, unit: unit)
                }
                if json {
                    print(try IdeaJSON.render(ideas.map { IdeaJSON(idea: $0) }))
                } else if ideas.isEmpty {
                    print("No ideas yet (\(config.databasePath)).")
                } else {
                    for idea in ideas {
                        let unit = idea.unit ?? "-"
                        print("#\(idea.number)\t\(idea.stage.rawValue)\t\(unit)\t\(idea.title)")
                    }
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one idea with its history.")
        @OptionGroup var common: Common
        @Argument(help: "The idea's number.") var number: Int
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let config = try common.load()
            try await reportingErrors {
                let store = try SkavApp.openStore(config)
                let found = try store.read { tx -> (Idea, [IdeaEvent])? in
                    guard let idea = try tx.idea(number: number) else { return nil }
                    return (idea, try tx.events(ofIdea: number))
                }
                guard let (idea, history) = found else {
                    printError("there is no idea #\(number)")
                    throw ExitCode(1)
                }
                if json {
                    print(try IdeaJSON.render(IdeaJSON(idea: idea, history: history)))
                } else {
                    print("#\(idea.number) \(idea.title)")
                    print("stage:     \(idea.stage.rawValue)")
                    print("author:    \(idea.author)")
                    print("unit:      \(idea.unit ?? "-")")
                    print("problem:   \(idea.problem)")
                    print("benefits:  \(idea.benefits ?? "-")")
                    print("solution:  \(idea.solution ?? "-")")
                    print("challenge: \(idea.theme ?? "-")")
                    print("history:")
                    print("guide:     \(idea.guide?.rawValue ?? "-")")
                    print("history:")
                    for event in history {
                        let move = event.toStage.map { " → \($0.rawValue)" } ?? ""
                        let comment = event.comment.map { ": \($0)" } ?? ""
                        print("  \(event.at.formatted(.iso8601)) \(event.actor) \(event.kind.rawValue)\(move)\(comment)")
                    }
                }
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export every submitted idea as CSV (UTF-8 with BOM, ; and CRLF: opens in Excel and LibreOffice) or JSON.")
        @OptionGroup var common: Common
        @Option(help: "csv or json.") var format: String
        @Option(help: "Write to this file instead of standard output.") var output: String?

        func run() async throws {
            let config = try common.load()
            guard let chosen = IdeaExport.Format(rawValue: format.lowercased()) else {
                printError("--format must be csv or json, not '\(format)'")
                throw ExitCode(2)
            }
            try await reportingErrors {
                let store = try SkavApp.openStore(config)
                // Streamed from one read snapshot: memory stays flat however large the intake is.
                try store.read { tx in
                    if let output {
                        // Every idea with its idea-giver: for the operator's user only (0600).
                        try PrivateFiles.write(to: output) { append in
                            try IdeaExport.write(chosen, from: tx, to: append)
                        }
                    } else {
                        try IdeaExport.write(chosen, from: tx) { try FileHandle.standardOutput.write(contentsOf: $0) }
                    }
                }
            }
        }
    }

    struct Stage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move an idea to another stage (same rules as in chat); the idea-giver is told by the running bot.")
        @OptionGroup var common: Common
        @Argument(help: "The idea's number.") var number: Int
        @Argument(help: "The new stage, Swedish or English (bedöms, review, avslutad, closed, …).") var stage: String
        @Option(help: "Who moves it (a Matrix id, e.g. @anna:kommun.se).") var by: String
        @Option(help: "A comment; for avslutad/closed, the lesson learned (required).") var comment: String?

        func run() async throws {
            let config = try common.load()
            try await reportingErrors {
                let store = try SkavApp.openStore(config)
                let prompts = try SkavApp.prompts(config)
                do {
                    let moved = try StageCommand.run(
                        store: store, prompts: prompts, config: config, number: number, stage: stage, by: UserID(by),
                        comment: comment, now: Date())
                    print("#\(moved.number) is now \(moved.stage.rawValue)")
                } catch let failure as StageCommand.Failure {
                    printError(failure.description)
                    throw ExitCode(1)
                }
            }
        }
    }
}

struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the config, the database, the prompts, and the chat server and credentials.")

    @OptionGroup var common: Common

    func run() async throws {
        let config = try common.load(requireConfig: true)
        let checks = await SkavApp.doctor(config: config, logger: Logger(label: "skav.doctor"))
        for check in checks {
            print("\(check.ok ? (check.warning ? "warn" : "ok  ") : "FAIL") \(check.name): \(check.detail)")
        }
        if checks.contains(where: { !$0.ok }) { throw ExitCode.failure }
    }
}

struct QuarantineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarantine",
        abstract: "Incoming messages that took the bot down twice and were set aside.",
        subcommands: [List.self, Retry.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What was set aside: id, room, time, deaths and status (held, or retry when put back).")
        @OptionGroup var common: Common

        func run() async throws {
            let config = try common.load()
            try await reportingErrors {
                let store = try SkavApp.openStore(config)
                let entries = try store.read { try $0.quarantined() }
                if entries.isEmpty {
                    print("Nothing is set aside (\(config.databasePath)).")
                    return
                }
                let format = Date.ISO8601FormatStyle()
                print("id\troom\tset aside\tdeaths\tstatus")
                for entry in entries {
                    let held = entry.heldAt.map { $0.formatted(format) } ?? "-"
                    print("\(entry.key)\t\(entry.roomID?.rawValue ?? "-")\t\(held)\t\(entry.deaths)\t\(entry.status.rawValue)")
                }
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put a set-aside message back (after a fix): the running bot fetches and handles it again.")
        @OptionGroup var common: Common
        @Argument(help: "The id that `skav quarantine list` shows.") var id: String

        func run() async throws {
            let config = try common.load()
            let key = id
            try await reportingErrors {
                let store = try SkavApp.openStore(config)
                guard try store.write({ try $0.requestRetry(key) }) else {
                    printError("nothing set aside with the id \(key); see `skav quarantine list`")
                    throw ExitCode(2)
                }
                print("Put back: \(key). The running bot handles it again within a poll.")
            }
        }
    }
}

struct CalendarCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendar",
        abstract: "List a year's non-working weekdays (holidays and days off) of the config's working calendar.")

    @OptionGroup var common: Common
    @Argument(help: "The year, e.g. 2026.") var year: Int

    func validate() throws {
        guard (1583...9999).contains(year) else { throw ValidationError("the year must be between 1583 and 9999") }
    }

    func run() async throws {
        let calendar = try common.load().workingCalendar
        for day in calendar.nonWorkingWeekdays(year: year) {
            let weekday = day.date.weekday.swedishName
            let padded = weekday + String(repeating: " ", count: max(0, 7 - weekday.count))
            print("\(day.date)  \(padded)  \(day.swedishName)")
        }
    }
}

struct NudgesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nudges", abstract: "Nudges (reminders): simulate a month for a small organisation.",
        subcommands: [Simulate.self])

    struct Simulate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the nudge log (who, what, when) of a simulated small organisation, with a mock clock.",
            discussion: "Uses the config's calendar and nudges.* settings; nothing is stored or sent.")

        @OptionGroup var common: Common
        @Option(help: "The first day, YYYY-MM-DD.") var start = "2026-12-07"
        @Option(help: "How many calendar days to simulate.") var days = 30

        func validate() throws {
            guard CivilDate(iso: start) != nil else { throw ValidationError("--start must be a date YYYY-MM-DD") }
            guard (1...366).contains(days) else { throw ValidationError("--days must be between 1 and 366") }
        }

        func run() async throws {
            let config = try common.load()
            guard let first = CivilDate(iso: start) else { throw ValidationError("--start must be a date YYYY-MM-DD") }
            try await reportingErrors {
                print(try NudgeSimulation.report(config: config, start: first, days: days))
            }
        }
    }
}

struct DigestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "digest",
        abstract: "Print the coordinators' digest (or a guide's inbox) of the database, or of a demo organisation.",
        discussion: """
            --print reads the database: the period runs from --since (default: the end of the last scheduled \
            digest, else 7 days ago) to the end of --until (default: now). --demo prints the digest of a seeded \
            week (16–22 November 2026) of a small organisation; nothing is read or stored.
            """)

    @OptionGroup var common: Common
    @Flag(name: .customLong("print"), help: "Print the digest of the database.") var printDigest = false
    @Flag(help: "Print the digest of a seeded demo organisation instead.") var demo = false
    @Option(help: "The first day of the period, YYYY-MM-DD (local).") var since: String?
    @Option(help: "The last day of the period, YYYY-MM-DD (local, included).") var until: String?
    @Option(help: "sv or en (default: the config's language).") var language: String?
    @Option(help: "plain, html or markdown.") var markup = "plain"
    @Option(help: "A guide's personal digest (their inbox) instead, e.g. @olle:kommun.se.") var guide: String?

    func validate() throws {
        guard printDigest != demo else { throw ValidationError("give either --print or --demo") }
        for (name, value) in [("--since", since), ("--until", until)] {
            if let value, CivilDate(iso: value) == nil { throw ValidationError("\(name) must be a date YYYY-MM-DD") }
        }
        if let since = since.flatMap(CivilDate.init(iso:)), let until = until.flatMap(CivilDate.init(iso:)), until < since {
            throw ValidationError("--until must not be before --since")
        }
        if let language, Language(rawValue: language) == nil { throw ValidationError("--language must be sv or en") }
        guard ChatCapabilities.Markup(rawValue: markup) != nil else {
            throw ValidationError("--markup must be plain, html or markdown")
        }
        if demo, since != nil || until != nil || guide != nil {
            throw ValidationError("--demo has its own week: --since, --until and --guide go with --print")
        }
        if let guide, !guide.hasPrefix("@") || !guide.contains(":") {
            throw ValidationError("--guide must be a user id such as @olle:kommun.se")
        }
    }

    func run() async throws {
        let config = try common.load()
        let chosenLanguage = language.flatMap(Language.init(rawValue:)) ?? config.language
        let chosenMarkup = ChatCapabilities.Markup(rawValue: markup) ?? .plain
        let calendar = config.workingCalendar
        try await reportingErrors {
            let prompts = try SkavApp.prompts(config)
            if demo {
                print(
                    try DigestDemo.render(
                        language: chosenLanguage, markup: chosenMarkup, calendar: calendar, prompts: prompts))
                return
            }
            let store = try SkavApp.openStore(config)
            let planner = SkavApp.nudgePlanner(config)
            let now = Date()
            let first = since.flatMap(CivilDate.init(iso:))
            let last = until.flatMap(CivilDate.init(iso:))
            let guideID = guide.map(UserID.init(rawValue:))
            let document: DigestDocument? = try store.read { tx in
                let end = last.map { calendar.startOfDay($0.adding(days: 1)) } ?? now
                var start = try first.map(calendar.startOfDay) ?? tx.lastDigestUntil(prefix: DigestRunKey.coordinatorsPrefix)
                    ?? end.addingTimeInterval(-7 * 86_400)
                if start >= end { start = end.addingTimeInterval(-7 * 86_400) }
                let period = DigestPeriod(since: start, until: end)
                // The bot's own builders: what is printed is what the bot would send.
                if let guideID {
                    return try SkavApp.guideDocument(
                        tx, guide: guideID, period: period, prompts: prompts, language: chosenLanguage, planner: planner)
                }
                return try SkavApp.coordinatorsDocument(
                    tx, period: period, config: config, prompts: prompts, language: chosenLanguage, planner: planner
                ).1
            }
            guard let document else {
                printError("the inbox of \(guide ?? "") is empty: there is no digest to print")
                throw ExitCode(1)
            }
            print(DigestRenderer.render(document, as: chosenMarkup))
        }
    }
}
