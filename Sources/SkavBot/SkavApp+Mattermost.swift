import Chat
import CurlHTTP
import Configuration
import Foundation
import Prompts
import Store
import Logging
import MattermostChat
import ServiceLifecycle

extension SkavApp {
    /// The token from `SKAV_MATTERMOST_TOKEN`, else the first line of `mattermost.token_file`; never the YAML.
    static func mattermostToken(_ settings: SkavConfig.Mattermost) throws -> String? {
        if let value = ProcessInfo.processInfo.environment["SKAV_MATTERMOST_TOKEN"], !value.isEmpty { return value }
        guard let path = settings.tokenFile else { return nil }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(key: "mattermost.token_file", problem: "cannot read \(path): \(error.localizedDescription)")
        }
        guard let line = text.split(whereSeparator: \.isNewline).first.map({ $0.trimmingCharacters(in: .whitespaces) }),
            !line.isEmpty
        else { throw ConfigError(key: "mattermost.token_file", problem: "the file \(path) is empty") }
        return line
    }

    static func mattermostConfig(_ settings: SkavConfig.Mattermost, token: String?) -> MattermostConfig {
        MattermostConfig(
            url: settings.url, team: settings.team, allowedDomains: settings.allowedDomains, token: token,
            pollInterval: settings.pollInterval, requestTimeout: settings.requestTimeout)
    }

    /// `skav run` on Mattermost: as on Matrix (`runBot`), with the Mattermost adapter. The bot's user id
    /// is learnt by connecting first (Mattermost ids are not configured), retrying while the server is
    /// unreachable. Who may talk is decided by the adapter (e-mail domains and team), so the engine's
    /// own domain check is off.
    static func runMattermostBot(config: SkavConfig, logger: Logger) async throws {
        guard let settings = config.mattermost else {
            throw ConfigError(key: "mattermost", problem: "chat.kind is mattermost, so the mattermost section is required")
        }
        guard let token = try mattermostToken(settings) else {
            throw ConfigError(key: "mattermost.token_file", problem: "no token: set SKAV_MATTERMOST_TOKEN or mattermost.token_file")
        }
        let store = try openStore(config)
        let prompts = try prompts(config)
        let crashpoints = Crashpoints.fromEnvironment()
        // The channel list of a bot in thousands of direct channels is large: a generous answer limit.
        let pollClient = CurlHTTPClient(name: "mattermost.poll", maxResponseBytes: 64 << 20, logger: logger)
        let sendClient = CurlHTTPClient(name: "mattermost.send", concurrency: config.parallelSends, logger: logger)
        defer {
            pollClient.shutdown()
            sendClient.shutdown()
        }
        let chat = MattermostChatService(
            config: mattermostConfig(settings, token: token), pollClient: pollClient, sendClient: sendClient, logger: logger)
        var backoff = Backoff(initial: .milliseconds(500), maximum: .seconds(60))
        let botUser: UserID
        while true {
            do {
                botUser = try await chat.connect()
                break
            } catch let error as ChatError where !error.isRetryable && error.code != .badResponse {
                logger.critical("cannot connect to Mattermost", metadata: ["error": "\(error)"])
                throw error
            } catch {
                let delay = max(backoff.next(), (error as? ChatError)?.retryAfter ?? .zero)
                logger.warning("connecting to Mattermost failed; retrying", metadata: ["error": "\(error)", "retry.in": "\(delay)"])
                try await Task.sleep(for: min(delay, ServerNumber.maxRetryWait))
            }
        }
        // After connecting: the capabilities hold the server's post size limit now.
        try await runServices(
            chat: chat, store: store, prompts: prompts, config: config,
            settings: BotSettings(
                botUser: botUser, allowedDomains: [],
                conversation: conversationConfig(config, filesSupported: chat.capabilities.supportsFiles),
                cursorKey: StoredKey.mattermostCursor, flood: floodLimit(config), sharedRoom: config.sharedRoom,
                coordinatorsRoom: config.coordinatorsRoom),
            crashpoints: crashpoints, logger: logger, startMetadata: ["mattermost.user": "\(botUser)"],
            executors: (sync: pollClient.taskExecutor, send: sendClient.taskExecutor))
    }

    /// `skav doctor` on Mattermost: the server (`/system/ping`), the token (`/users/me`) and the team, and
    /// the configured channels (found, and the bot in them).
    static func mattermostChecks(_ settings: SkavConfig.Mattermost, logger: Logger) async -> [Check] {
        var checks: [Check] = []
        let client = CurlHTTPClient(name: "doctor", logger: logger)
        defer { client.shutdown() }
        let server = await serverCheck(client, settings.url, path: "/api/v4/system/ping")
        checks.append(server.check)
        guard server.answered else { return checks }
        let chat: MattermostChatService
        do {
            var chatConfig = mattermostConfig(settings, token: try mattermostToken(settings))
            chatConfig.retry = MattermostRetryPolicy(requestRetries: 1, pollRetries: 0, rateLimitRetries: 1)
            chat = MattermostChatService(config: chatConfig, pollClient: client, sendClient: client, logger: logger)
            let user = try await chat.connect()
            checks.append(
                Check(
                    name: "credentials", ok: true,
                    detail: "the token belongs to user \(user); team '\(settings.team)' found; posts up to \(chat.capabilities.maxMessageBytes) characters"))
        } catch {
            checks.append(Check(name: "credentials", ok: false, detail: "\(error)"))
            return checks
        }
        for (name, channel) in [("coordinators channel", settings.coordinatorsChannel), ("shared channel", settings.sharedChannel)] {
            guard let channel else { continue }
            do {
                let found = try await chat.checkChannel(RoomID(channel))
                checks.append(
                    Check(
                        name: name, ok: found.isMember,
                        detail: found.isMember
                            ? "'\(found.name)': the bot is a member"
                            : "'\(found.name)': the bot is not a member; add it to the channel"))
            } catch {
                checks.append(Check(name: name, ok: false, detail: "\(channel): \(error)"))
            }
        }
        return checks
    }
}
