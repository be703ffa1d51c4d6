import ArgumentParser
import Chat
import Conversation
import Foundation
import Intake
import Logging
import SkavBot
import Prompts
import Store

#if canImport(Glibc)
    import Glibc
#endif

/// `skav-bench scale`: Skav at the size it is built for. Seeds an organisation (people, units, guides, N
/// submitted ideas over three years with their history, audit entries, nudges and outbox rows) through the
/// store's own code, then prints the figures that matter at that size: the similar-idea lookup, the reply
/// after `klar` that names similar ideas, `skav digest --print` for a week and four weeks, the CSV export
/// (time and peak memory of the real `skav` binary), and the database size per table.
///
/// Run it through `bash Tests/bench.sh --scale N` (a release build). The seeded database is cached per N
/// and seed version, so a rerun measures at once.
@main
struct SkavBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skav-bench", abstract: "Benchmarks of Skav at scale.", subcommands: [Scale.self, Seed.self, Sample.self])
}

/// `skav-bench seed`: only the seeding of `scale`, into a database of your choice (the end-to-end test of a
/// digest of a large intake starts the bot on one).
struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Seed an organisation of N ideas into a database.")

    @Option(help: "Submitted ideas.") var ideas = 20_000
    @Option(help: "People in the organisation.") var people = 2_000
    @Option(help: "Units (förvaltningar).") var units = 12
    @Option(help: "The database to write (created; it must not hold ideas yet).") var database: String
    @Option(help: "The organisation's now, seconds since 1970 (default: the benchmark's Monday); about 1 % of the ideas come in the week before it.")
    var now: Double?
    @Flag(help: "Only what a digest reads (faster): no sent outbox rows.")
    var lean = false

    func run() async throws {
        var org = Organisation(ideas: ideas, people: people, units: units)
        if let now { org.now = Date(timeIntervalSince1970: now) }
        org.lean = lean
        let started = Date()
        try org.seed(into: database)
        print(String(format: "seeded %d ideas, %d people in %.1f s (%@)", ideas, people, Date().timeIntervalSince(started), database))
    }
}

/// `skav-bench sample`: texts as the seed writes them, to read (and a word count of the vocabulary they use).
struct Sample: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print ideas' texts as the seed writes them.")

    @Option(help: "Texts to print.") var count = 10
    @Option(help: "Texts whose stems are counted.") var vocabulary = 0

    func run() async throws {
        var generator = SplitMix64(seed: 2026)
        for _ in 0..<count { print(Organisation.text(using: &generator), "\n") }
        guard vocabulary > 0 else { return }
        var documents: [String: Int] = [:]
        var stems = 0
        for _ in 0..<vocabulary {
            let terms = Similarity.terms(Organisation.text(using: &generator))
            stems += terms.count
            for term in terms { documents[term, default: 0] += 1 }
        }
        let ranked = documents.sorted { $0.value > $1.value }
        print("\(vocabulary) texts: \(documents.count) distinct stems, \(stems / vocabulary) per text on average; "
            + "\(documents.values.filter { $0 == 1 }.count) in one text only")
        print("most common (share of texts): " + ranked.prefix(15).map { "\($0.key) \(100 * $0.value / vocabulary) %" }.joined(separator: ", "))
    }
}

struct Scale: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Seed N ideas and print the figures.")

    @Option(help: "Submitted ideas.") var ideas = 10_000
    @Option(help: "People in the organisation.") var people = 30_000
    @Option(help: "Units (förvaltningar).") var units = 40
    @Option(help: "The skav binary to measure the command line with (digest, export).") var skav: String
    @Option(help: "Where seeded databases are kept between runs.") var cache: String
    @Option(help: "Runs per command-line figure (the median is printed).") var runs = 3
    @Option(help: "Samples of the lookup and the reply.") var samples = 300
    @Flag(help: "Seed anew even when a cached database exists.") var reseed = false
    @Option(
        help: "Which figures to print, comma-separated: sizes, lookup, reply, digest, export (default: all).",
        transform: { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) })
    var parts: Set<String> = Scale.allParts

    static let allParts: Set<String> = ["sizes", "lookup", "reply", "digest", "export"]

    func validate() throws {
        let unknown = parts.subtracting(Self.allParts)
        guard unknown.isEmpty else {
            throw ValidationError("unknown --parts \(unknown.sorted().joined(separator: ", ")); known: \(Self.allParts.sorted().joined(separator: ", "))")
        }
    }

    func run() async throws {
        let org = Organisation(ideas: ideas, people: people, units: units)
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        let seeded = "\(cache)/scale-\(ideas)-\(people)-\(units)-v\(Organisation.version).sqlite"
        if reseed || !FileManager.default.fileExists(atPath: seeded) {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: seeded + suffix) }
            let started = Date()
            try org.seed(into: seeded)
            print(String(format: "seeded %d ideas, %d people in %.1f s (%@)", ideas, people, Date().timeIntervalSince(started), seeded))
        } else {
            print("using the seeded database \(seeded)")
        }
        // Measure on a copy: the reply benchmark submits ideas.
        let work = NSTemporaryDirectory() + "skav-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let database = work + "/skav.sqlite"
        try checkpointAndCopy(seeded, to: database)
        let configPath = work + "/skav.yaml"
        try org.config(database: database).write(toFile: configPath, atomically: true, encoding: .utf8)

        print("")
        print("Skav at scale: \(ideas) ideas, \(people) people, \(units) units (release build)")
        if parts.contains("sizes") { try sizes(database) }
        if parts.contains("lookup") { try lookup(database, org: org) }
        if parts.contains("reply") { try await reply(database, org: org) }
        if parts.contains("digest") { try digests(configPath: configPath) }
        if parts.contains("export") { try exports(configPath: configPath, work: work) }
    }

    /// Copies the database (after folding the WAL into it) so the seeded one stays as it was.
    func checkpointAndCopy(_ source: String, to target: String) throws {
        let store = try IntakeStore(path: source)
        try store.checkpoint()
        try FileManager.default.copyItem(atPath: source, toPath: target)
    }

    /// The table sizes as the running bot leaves them: after its hourly retention (default 90 days).
    func sizes(_ database: String) throws {
        let store = try IntakeStore(path: database)
        func fileSize() -> Int { ((try? FileManager.default.attributesOfItem(atPath: database)[.size]) as? Int) ?? 0 }
        let seeded = fileSize()
        let engine = BotEngine(
            store: store, prompts: try PromptCatalog.locate(explicit: nil),
            settings: BotSettings(
                botUser: "@skav:kommun.se", allowedDomains: [], conversation: ConversationConfig(units: []),
                cursorKey: "bench.cursor"),
            logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        try engine.applyRetention(.seconds(90 * 86_400), now: Organisation.now)
        // Databases created by this version give freed pages back at once; an older one needs a VACUUM.
        if fileSize() == seeded { try store.vacuum() }
        print(String(format: "database on disk: %.1f MB after the bot's retention (%.1f MB as seeded)", Double(fileSize()) / 1e6, Double(seeded) / 1e6))
        for (table, bytes, rows) in try store.tableSizes() {
            let name = table.padding(toLength: max(table.count, 20), withPad: " ", startingAt: 0)
            print("  " + name + String(format: " %9.1f MB %10d rows", Double(bytes) / 1e6, rows))
        }
    }

    func lookup(_ database: String, org: Organisation) throws {
        let store = try IntakeStore(path: database)
        var generator = SplitMix64(seed: 99)
        let texts = (0..<samples).map { _ in org.problem(using: &generator) }
        var times: [Double] = []
        var cpu: [Double] = []
        var found = 0
        try store.read { tx in
            for text in texts {
                let start = DispatchTime.now().uptimeNanoseconds
                let startCPU = threadCPUms()
                found += try tx.similarIdeas(to: text, excluding: nil, limit: 3).count
                cpu.append(threadCPUms() - startCPU)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
        }
        print(
            "similar-idea lookup: p50 \(ms(percentile(times, 0.5))), p99 \(ms(percentile(times, 0.99))) "
                + "(CPU p50 \(ms(percentile(cpu, 0.5))), p99 \(ms(percentile(cpu, 0.99)))) "
                + "(\(samples) lookups, \(found) matches named)")
    }

    /// The reply after `klar`: a person with a draft submits it, and the reply names similar ideas.
    func reply(_ database: String, org: Organisation) async throws {
        let store = try IntakeStore(path: database)
        let prompts = try PromptCatalog.locate(explicit: nil)
        let engine = BotEngine(
            store: store, prompts: prompts,
            settings: BotSettings(
                botUser: "@skav:kommun.se", allowedDomains: ["kommun.se"],
                conversation: ConversationConfig(
                    units: org.unitNames, themes: [], defaultLanguage: .sv, roles: org.roles),
                cursorKey: "bench.cursor"),
            logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        var generator = SplitMix64(seed: 7)
        var times: [Double] = []
        var cpu: [Double] = []
        var named = 0
        let now = Organisation.now
        for index in 0..<samples {
            let person = UserID("@bench\(index):kommun.se")
            let room = RoomID("!bench\(index):kommun.se")
            try await store.write { tx in
                try tx.savePerson(Person(id: person, language: .sv, unit: org.unitNames[index % org.unitNames.count], createdAt: now))
                try tx.setDirectRoom(room, for: person, at: now)
            }
            let text = org.problem(using: &generator)
            let draft = ChatEvent(id: "$d\(index)", room: room, sender: person, kind: .message(text: text), timestamp: now)
            try engine.process(ChatBatch(events: [draft], cursor: "c"), now: now)
            let submit = ChatEvent(id: "$k\(index)", room: room, sender: person, kind: .message(text: "klar"), timestamp: now)
            let start = DispatchTime.now().uptimeNanoseconds
            let startCPU = threadCPUms()
            try engine.process(ChatBatch(events: [submit], cursor: "c"), now: now)
            cpu.append(threadCPUms() - startCPU)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            let reply = try await store.read { try $0.outboxEntry(txnID: "$k\(index).0") }
            if reply?.body.plainText.contains("#") == true { named += 1 }
        }
        print(
            "reply after klar (submit, similar ideas named): p50 \(ms(percentile(times, 0.5))), "
                + "p99 \(ms(percentile(times, 0.99))) (CPU p50 \(ms(percentile(cpu, 0.5))), p99 \(ms(percentile(cpu, 0.99)))) "
                + "(\(samples) submits)")
    }

    func digests(configPath: String) throws {
        let weekSince = "2026-11-16", until = "2026-11-22", monthSince = "2026-10-26"
        let week = try measure(runs: runs) {
            ["digest", "--print", "--since", weekSince, "--until", until, "--config", configPath]
        }
        print(
            "skav digest --print, last week: \(seconds(week.seconds)) (CPU \(seconds(week.cpuSeconds))), "
                + "\(week.outputBytes / 1000) kB of text, peak RSS \(week.peakRSSMiB) MiB")
        let month = try measure(runs: runs) {
            ["digest", "--print", "--since", monthSince, "--until", until, "--config", configPath]
        }
        print(
            "skav digest --print, last 4 weeks: \(seconds(month.seconds)) (CPU \(seconds(month.cpuSeconds))), "
                + "\(month.outputBytes / 1000) kB of text, peak RSS \(month.peakRSSMiB) MiB")
    }

    func exports(configPath: String, work: String) throws {
        let csv = work + "/export.csv"
        let export = try measure(runs: runs) {
            ["ideas", "export", "--format", "csv", "--output", csv, "--config", configPath]
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: csv)[.size] as? Int) ?? 0
        print("skav ideas export --format csv: \(seconds(export.seconds)), \(size / 1_000_000) MB, peak RSS \(export.peakRSSMiB) MiB")
        // Both exports stream from a database cursor: their peak RSS should not grow with the ideas.
        let json = work + "/export.json"
        let jsonExport = try measure(runs: runs) {
            ["ideas", "export", "--format", "json", "--output", json, "--config", configPath]
        }
        let jsonSize = (try? FileManager.default.attributesOfItem(atPath: json)[.size] as? Int) ?? 0
        print(
            "skav ideas export --format json: \(seconds(jsonExport.seconds)), \(jsonSize / 1_000_000) MB, "
                + "peak RSS \(jsonExport.peakRSSMiB) MiB")
    }

    struct Measured {
        var seconds: Double
        /// User and system CPU of the median run: on a shared machine the wall time includes waiting for a core.
        var cpuSeconds: Double
        var peakRSSMiB: Int
        var outputBytes: Int
    }

    /// Runs the skav binary `runs` times; the median wall time (and that run's CPU), the largest peak RSS of one run.
    func measure(runs: Int, _ arguments: () -> [String]) throws -> Measured {
        var times: [(wall: Double, cpu: Double)] = []
        var peak = 0
        var output = 0
        for _ in 0..<max(1, runs) {
            let outputPath = NSTemporaryDirectory() + "skav-bench-out-\(getpid())"
            defer {
                try? FileManager.default.removeItem(atPath: outputPath)
                try? FileManager.default.removeItem(atPath: outputPath + ".stderr")
            }
            let start = Date()
            let (status, maxRSSKiB, cpu) = try spawn(skav, arguments(), stdout: outputPath)
            times.append((Date().timeIntervalSince(start), cpu))
            output = (try? FileManager.default.attributesOfItem(atPath: outputPath)[.size] as? Int) ?? 0
            peak = max(peak, maxRSSKiB / 1024)
            guard status == 0 else {
                let said = (try? String(contentsOfFile: outputPath + ".stderr", encoding: .utf8)) ?? ""
                throw ValidationError(
                    "skav \(arguments().joined(separator: " ")) exited with \(status): " + said.suffix(2_000))
            }
        }
        let median = times.sorted { $0.wall < $1.wall }[(times.count - 1) / 2]
        return Measured(seconds: median.wall, cpuSeconds: median.cpu, peakRSSMiB: peak, outputBytes: output)
    }

    /// Runs a program with standard output to a file; its exit status, its own peak RSS (KiB) and CPU
    /// seconds (user and system), from wait4.
    func spawn(_ program: String, _ arguments: [String], stdout path: String) throws -> (Int32, Int, Double) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, path + ".stderr", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, program, &actions, nil, argv, environ)
        guard spawned == 0 else { throw ValidationError("cannot run \(program): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let exited = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return (exited, usage.ru_maxrss, seconds(usage.ru_utime) + seconds(usage.ru_stime))
    }
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let index = min(sorted.count - 1, max(0, Int((Double(sorted.count - 1) * p).rounded())))
    return sorted[index]
}

/// CPU time of the calling thread, in milliseconds: on a shared machine, what a lookup costs without the
/// waiting for a core that its wall time includes.
func threadCPUms() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) * 1e3 + Double(time.tv_nsec) / 1e6
}

func ms(_ value: Double) -> String { String(format: "%.2f ms", value) }
func seconds(_ value: Double) -> String { value < 1 ? String(format: "%.0f ms", value * 1000) : String(format: "%.2f s", value) }

