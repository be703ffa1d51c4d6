import Chat
import Conversation
import CrashGuard
import CurlHTTP
import Foundation
import Intake
import Logging
import MatrixChat
import ServiceLifecycle
import Synchronization
import Prompts
import Store
import Configuration

extension SkavApp {
    /// Runs the bot until SIGTERM or SIGINT: the sync loop and the outbox sender under one service group.
    public static func runBot(config: SkavConfig, logger: Logger) async throws {
        if config.chatKind == .mattermost { return try await runMattermostBot(config: config, logger: logger) }
        guard config.chatKind == .matrix, let settings = config.matrix else {
            throw ConfigError(key: "chat.kind", problem: "`skav run` needs chat.kind: matrix or mattermost, and its section")
        }
        let store = try openStore(config)
        let prompts = try prompts(config)
        let secrets = try matrixSecrets(settings)
        let crashpoints = Crashpoints.fromEnvironment()
        let syncClient = CurlHTTPClient(name: "matrix.sync", maxResponseBytes: settings.syncMaxBytes, logger: logger)
        // Sends to different rooms run in parallel, each client on its own connection.
        let sendClient = CurlHTTPClient(name: "matrix.send", concurrency: config.parallelSends, logger: logger)
        defer {
            syncClient.shutdown()
            sendClient.shutdown()
        }
        let matrix = MatrixChatService(
            config: matrixConfig(settings, secrets: secrets), syncClient: syncClient, sendClient: sendClient,
            credentials: StoreCredentials(store: store, key: StoredKey.matrixCredentials), logger: logger)
        try await runServices(
            chat: matrix, store: store, prompts: prompts, config: config,
            settings: BotSettings(
                botUser: UserID(settings.userID), allowedDomains: settings.allowedDomains,
                conversation: conversationConfig(config, filesSupported: matrix.capabilities.supportsFiles),
                cursorKey: StoredKey.matrixCursor, flood: floodLimit(config), sharedRoom: config.sharedRoom,
                coordinatorsRoom: config.coordinatorsRoom),
            crashpoints: crashpoints, logger: logger, startMetadata: ["matrix.user": "\(settings.userID)"],
            executors: (sync: syncClient.taskExecutor, send: sendClient.taskExecutor))
    }

    /// The bot's services over one chat server, under one service group until SIGTERM or SIGINT: the sync loop,
    /// the outbox sender, the nudge scheduler and the on-demand digests (the same for every server kind).
    static func runServices(
        chat: any ChatService, store: IntakeStore, prompts: PromptCatalog, config: SkavConfig, settings: BotSettings,
        crashpoints: Crashpoints, logger: Logger, startMetadata: Logger.Metadata,
        executors: (sync: (any TaskExecutor)?, send: (any TaskExecutor)?)
    ) async throws {
        let capabilities = chat.capabilities
        let engine = BotEngine(store: store, prompts: prompts, settings: settings, logger: logger, crashpoints: crashpoints)
        try armCrashGuard(database: config.databasePath, engine: engine, logger: logger)
        let wake = WakeSignal()
        let ready = ReadyGate()
        let digestWake = WakeSignal()
        let sync = SyncService(
            chat: chat, engine: engine, wake: wake, digestWake: digestWake, ready: ready, crashpoints: crashpoints,
            logger: logger, draftRetention: config.draftRetention)
        let requestedDigests = DigestRequestService(
            store: store, build: onDemandDigest(config: config, prompts: prompts, capabilities: capabilities),
            wake: digestWake, sent: wake, ready: ready, logger: logger)
        let sender = OutboxSender(
            store: store, chat: chat, wake: wake, ready: ready, crashpoints: crashpoints, logger: logger,
            parallelSends: config.parallelSends)
        let nudges = NudgeScheduler(
            store: store, planner: nudgePlanner(config), prompts: prompts, defaultLanguage: config.language,
            wake: wake, ready: ready, crashpoints: crashpoints, logger: logger,
            digests: digestDelivery(
                config: config, prompts: prompts, capabilities: capabilities, coordinatorsRoom: settings.coordinatorsRoom))
        logger.info("skav starting", metadata: startMetadata.merging(["database": "\(config.databasePath)"]) { $1 })
        let group = ServiceGroup(
            configuration: .init(
                services: ([
                    // The sync loop on the thread of its long poll, the sender on the thread of its sends: each
                    // resumes where its requests end (a message one at a time took 18 thread switches).
                    PreferringExecutor(base: sync, executor: executors.sync),
                    PreferringExecutor(base: sender, executor: executors.send), nudges, requestedDigests,
                ] as [any Service]).map { service in
                    .init(service: service, successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup)
                },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        logger.info("skav stopped")
    }

    /// The poison-message quarantine's breadcrumb: the input the previous run died on (if it died of a
    /// fatal signal) counts a death, then the guard is armed for this run.
    static func armCrashGuard(database: String, engine: BotEngine, logger: Logger) throws {
        let path = CrashGuard.path(forDatabase: database)
        if let crashed = CrashGuard.lastCrash(path: path) {
            try engine.recordCrash(crashed, now: Date())
        }
        do {
            try CrashGuard.install(path: path)
            CrashGuard.clear()
        } catch {
            logger.warning(
                "cannot write the crash guard file; input that crashes the bot will not be set aside",
                metadata: ["file": "\(path)", "error": "\(error)"])
        }
    }

    /// The nudge planner of the config: its calendar, `nudges.*` and roles.
    public static func nudgePlanner(_ config: SkavConfig) -> NudgePlanner {
        NudgePlanner(calendar: config.workingCalendar, settings: config.nudges, roles: config.roles)
    }

    public static func floodLimit(_ config: SkavConfig) -> FloodGate.Limit {
        let window = config.floodWindow.components
        return FloodGate.Limit(
            maxMessages: config.floodMaxMessages,
            window: Double(window.seconds) + Double(window.attoseconds) / 1e18)
    }

    struct MatrixSecrets {
        var password: String?
        var accessToken: String?
    }

    /// Secrets come from the environment, else from the files the config names; never from the YAML.
    static func matrixSecrets(_ settings: SkavConfig.Matrix) throws -> MatrixSecrets {
        let environment = ProcessInfo.processInfo.environment
        func fromFile(_ path: String?, key: String) throws -> String? {
            guard let path else { return nil }
            do {
                let text = try String(contentsOfFile: path, encoding: .utf8)
                let line = text.split(whereSeparator: \.isNewline).first.map(String.init)?
                    .trimmingCharacters(in: .whitespaces)
                guard let line, !line.isEmpty else { throw ConfigError(key: key, problem: "the file \(path) is empty") }
                return line
            } catch let error as ConfigError {
                throw error
            } catch {
                throw ConfigError(key: key, problem: "cannot read \(path): \(error.localizedDescription)")
            }
        }
        func secret(_ variable: String, file: String?, key: String) throws -> String? {
            if let value = environment[variable], !value.isEmpty { return value }
            return try fromFile(file, key: key)
        }
        let password = try secret("SKAV_MATRIX_PASSWORD", file: settings.passwordFile, key: "matrix.password_file")
        let token = try secret("SKAV_MATRIX_ACCESS_TOKEN", file: settings.accessTokenFile, key: "matrix.access_token_file")
        return MatrixSecrets(password: password, accessToken: token)
    }

    static func matrixConfig(_ settings: SkavConfig.Matrix, secrets: MatrixSecrets) -> MatrixConfig {
        MatrixConfig(
            homeserver: settings.homeserver, userID: settings.userID, deviceID: settings.deviceID,
            password: secrets.password, accessToken: secrets.accessToken, syncTimeout: settings.syncTimeout,
            requestTimeout: settings.requestTimeout)
    }

    public struct Check: Sendable {
        public var name: String
        public var ok: Bool
        /// Works, but an operator should look (`doctor` prints `warn`; the exit status stays 0).
        public var warning: Bool
        public var detail: String

        public init(name: String, ok: Bool, warning: Bool = false, detail: String) {
            self.name = name
            self.ok = ok
            self.warning = warning
            self.detail = detail
        }
    }

    /// The doctor's `server` check: whether `GET base + path` answers 200 within ten seconds. `answered` is false
    /// when the server could not be asked at all; the checks that need it are left out then.
    static func serverCheck(_ client: CurlHTTPClient, _ base: String, path: String) async -> (check: Check, answered: Bool) {
        do {
            let response = try await client.execute(HTTPRequest(url: base + path, timeout: .seconds(10)))
            return (Check(name: "server", ok: response.status == 200, detail: "\(base) answered HTTP \(response.status)"), true)
        } catch {
            return (Check(name: "server", ok: false, detail: "\(base): \(error)"), false)
        }
    }

    /// `skav doctor`: config, database, prompts, server reachability and credentials.
    public static func doctor(config: SkavConfig, logger: Logger) async -> [Check] {
        var checks = [Check(name: "config", ok: true, detail: "chat.kind \(config.chatKind.rawValue), language \(config.language.rawValue), \(config.units.count) units, \(config.themes.count) themes")]
        // Before the store is opened (which creates what is missing, strictly): the modes as they are.
        checks.append(fileModeCheck(databasePath: config.databasePath))
        var store: IntakeStore?
        do {
            let opened = try openStore(config)
            store = opened
            let integrity = try opened.integrityCheck()
            let unsent = try await opened.read { try $0.unsentOutboxCount() }
            checks.append(
                Check(
                    name: "database", ok: integrity == "ok",
                    detail: "\(config.databasePath): schema \(try opened.appliedMigrations().joined(separator: ",")), journal \(try opened.journalMode()), integrity \(integrity), \(unsent) unsent messages"))
            if let stamp = try await opened.read({ try $0.value(OutboxSender.rateLimitedKey) }),
                let when = try? Date(stamp, strategy: .iso8601), Date().timeIntervalSince(when) < 7 * 86_400
            {
                checks.append(
                    Check(
                        name: "rate limits", ok: true, warning: true,
                        detail: "the chat server rate-limited the bot's sends (last at \(stamp)); replies slow down at busy times. Exempt the bot's account: see the README, \"Exempt the bot from Synapse's rate limit\""))
            }
            let held = try await opened.read { try $0.quarantinedCount() }
            checks.append(
                Check(
                    name: "quarantine", ok: true, warning: held > 0,
                    detail: held == 0
                        ? "nothing set aside"
                        : "\(held) incoming messages took the bot down and were set aside: see `skav quarantine list`, and `skav quarantine retry ID` after a fix"))
        } catch {
            checks.append(Check(name: "database", ok: false, detail: "\(error)"))
        }
        do {
            let catalog = try prompts(config)
            let problems = catalog.validate()
            checks.append(
                Check(
                    name: "prompts", ok: problems.isEmpty,
                    detail: problems.isEmpty ? "sv and en complete" : problems.prefix(5).joined(separator: "; ")))
        } catch {
            checks.append(Check(name: "prompts", ok: false, detail: "\(error)"))
        }
        if config.chatKind == .mattermost, let settings = config.mattermost {
            return checks + (await mattermostChecks(settings, logger: logger))
        }
        guard config.chatKind == .matrix, let settings = config.matrix else { return checks }

        let client = CurlHTTPClient(name: "doctor", logger: logger)
        defer { client.shutdown() }
        let server = await serverCheck(client, settings.homeserver, path: "/_matrix/client/versions")
        checks.append(server.check)
        guard server.answered else { return checks }
        guard let store else { return checks }
        do {
            let secrets = try matrixSecrets(settings)
            var matrixSettings = matrixConfig(settings, secrets: secrets)
            matrixSettings.retry = MatrixRetryPolicy(requestRetries: 1, pollRetries: 0, rateLimitRetries: 1)
            let matrix = MatrixChatService(
                config: matrixSettings, syncClient: client, sendClient: client,
                credentials: StoreCredentials(store: store, key: StoredKey.matrixCredentials), logger: logger)
            let user = try await matrix.connect()
            let matches = user.rawValue == settings.userID
            checks.append(
                Check(
                    name: "credentials", ok: matches,
                    detail: matches ? "logged in as \(user)" : "the credentials belong to \(user), not \(settings.userID)"))
        } catch {
            checks.append(Check(name: "credentials", ok: false, detail: "\(error)"))
        }
        return checks
    }
}

extension SkavApp {
    /// `doctor`: the database's folder and files are for the bot's user only (0700, 0600).
    public static func fileModeCheck(databasePath: String) -> Check {
        let problems = PrivateFiles.problems(databasePath: databasePath)
        guard !problems.isEmpty else {
            return Check(name: "file modes", ok: true, detail: "the database and its folder are for the owner only")
        }
        return Check(
            name: "file modes", ok: true, warning: true,
            detail: "the database holds the access token and everyone's ideas; " + problems.joined(separator: "; "))
    }
}

/// A service whose tasks prefer `executor` (`withTaskExecutorPreference`; nil: the global executor).
struct PreferringExecutor: Service {
    let base: any Service
    let executor: (any TaskExecutor)?

    func run() async throws {
        try await withTaskExecutorPreference(executor) { try await base.run() }
    }
}
