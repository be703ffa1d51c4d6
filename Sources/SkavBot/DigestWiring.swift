import Chat
import Conversation
import Digest
import Foundation
import Intake
import Prompts
import Store
import Configuration

// The digests of a deployment (SkavBot.docc/Digests.md): the builders the engine (`sammanfattning`) and the scheduler
// (`digest.schedule`) call, in the organisation's language, split for the server's size limit.
extension SkavApp {
    /// The coordinators' digest for a period, as the messages to send on a server with `capabilities`. When a
    /// list is cut and the server takes files, the full lists go along as a CSV file (`DigestFile`), and the
    /// "…and N more" lines say so.
    static func coordinatorsDigest(
        config: SkavConfig, prompts: PromptCatalog, capabilities: ChatCapabilities
    ) -> DigestDelivery.Build {
        let planner = nudgePlanner(config)
        return { tx, since, until in
            let (data, document) = try coordinatorsDocument(
                tx, period: DigestPeriod(since: since, until: until), config: config, prompts: prompts,
                language: config.language, planner: planner, filesSupported: capabilities.supportsFiles)
            let withFile = capabilities.supportsFiles && DigestBuilder.isCut(data)
            var digest = DigestMessages(parts: DigestRenderer.messages(document, capabilities: capabilities))
            if withFile {
                digest.file = DigestFile.attachment(data, language: config.language, calendar: planner.calendar)
                digest.caption = DigestBuilder.fileCaption(
                    data.period, language: config.language, prompts: prompts, calendar: planner.calendar)
            }
            return digest
        }
    }

    /// The coordinators' digest of a period as a document (and the data it was built from): what the bot sends,
    /// and what `skav digest --print` prints.
    public static func coordinatorsDocument(
        _ tx: IntakeTransaction, period: DigestPeriod, config: SkavConfig, prompts: PromptCatalog, language: Language,
        planner: NudgePlanner, filesSupported: Bool = false
    ) throws -> (DigestData, DigestDocument) {
        let data = try DigestLoader.load(tx, period: period, planner: planner, themes: config.themes)
        let withFile = filesSupported && DigestBuilder.isCut(data)
        let document = DigestBuilder.build(
            data, language: language, prompts: prompts, calendar: planner.calendar, withFile: withFile)
        return (data, document)
    }

    /// A guide's inbox of a period as a document; nil when it is empty.
    public static func guideDocument(
        _ tx: IntakeTransaction, guide: UserID, period: DigestPeriod, prompts: PromptCatalog, language: Language,
        planner: NudgePlanner
    ) throws -> DigestDocument? {
        let data = try DigestLoader.loadGuide(tx, guide: guide, period: period, planner: planner)
        return DigestBuilder.buildGuide(data, language: language, prompts: prompts, calendar: planner.calendar)
    }

    /// A guide's weekly inbox, in the guide's language; no messages when it is empty.
    static func guideDigest(
        config: SkavConfig, prompts: PromptCatalog, capabilities: ChatCapabilities
    ) -> DigestDelivery.BuildGuide {
        let planner = nudgePlanner(config)
        return { tx, guide, since, until in
            let language = try tx.person(guide)?.language ?? config.language
            guard
                let document = try guideDocument(
                    tx, guide: guide, period: DigestPeriod(since: since, until: until), prompts: prompts,
                    language: language, planner: planner)
            else { return [] }
            return DigestRenderer.messages(document, capabilities: capabilities)
        }
    }

    /// `sammanfattning`: from the end of the last scheduled digest (else a week back) until now.
    static func onDemandDigest(
        config: SkavConfig, prompts: PromptCatalog, capabilities: ChatCapabilities
    ) -> @Sendable (IntakeTransaction, Date) throws -> DigestMessages {
        let build = coordinatorsDigest(config: config, prompts: prompts, capabilities: capabilities)
        return { tx, now in
            let since = try tx.lastDigestUntil(prefix: DigestRunKey.coordinatorsPrefix)
                ?? now.addingTimeInterval(-7 * 86_400)
            return try build(tx, min(since, now), now)
        }
    }

    /// The scheduled digests of the config; nil when `digest.schedule` is off and guides get none.
    static func digestDelivery(
        config: SkavConfig, prompts: PromptCatalog, capabilities: ChatCapabilities, coordinatorsRoom: RoomID?
    ) -> DigestDelivery? {
        if config.digest.schedule == .off && !config.digest.guides { return nil }
        var guides: [UserID] = []
        if config.digest.guides {
            var seen = Set<UserID>()
            guides = config.roles.guides.map(\.user).filter { seen.insert($0).inserted }
        }
        return DigestDelivery(
            schedule: config.digest.schedule, coordinatorsRoom: coordinatorsRoom,
            coordinators: config.roles.coordinators, guides: guides,
            build: coordinatorsDigest(config: config, prompts: prompts, capabilities: capabilities),
            buildGuide: guideDigest(config: config, prompts: prompts, capabilities: capabilities))
    }
}
