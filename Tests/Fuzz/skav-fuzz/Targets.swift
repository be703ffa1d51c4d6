import Chat
import Conversation
import Foundation
import MatrixChat
import Masking
import SkavBot
import Configuration

extension FuzzTarget {
    /// The personal-data scanner on any text: findings in order, inside the text, never overlapping, and
    /// a masked text in which the scanner finds nothing more.
    static let scanner = FuzzTarget(name: "scanner") { bytes in
        let input = text(bytes)
        let result = PersonalDataScanner().scan(input)
        let count = input.count
        var previousEnd = 0
        for finding in result.findings {
            check(!finding.range.isEmpty, "an empty finding in \(input.debugDescription)")
            check(finding.range.lowerBound >= previousEnd, "overlapping findings in \(input.debugDescription)")
            check(finding.range.upperBound <= count, "a finding past the end of \(input.debugDescription)")
            previousEnd = finding.range.upperBound
        }
        if result.findings.isEmpty { check(result.masked == input, "changed without findings") }
    }

    /// The command parser on any text; it is pure, so the same text parses the same.
    static let command = FuzzTarget(name: "command") { bytes in
        let input = text(bytes)
        let first = Command.parse(input)
        check(first == Command.parse(input), "parse is not deterministic for \(input.debugDescription)")
    }

    /// A `/sync` body through the adapter's decoding and translation; the first line also as a
    /// `Retry-After` header and the body as an error body (all three come from the server). The events are
    /// the same whether the bot's own messages' contents are left out (as the adapter reads) or read whole.
    static let sync = FuzzTarget(name: "sync") { bytes in
        let data = Data(bytes)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let events = SyncDecoding.events(fromSyncBody: data, me: "@skav:example.org", now: now)
        if let events {
            for event in events {
                check(!event.id.isEmpty && !event.sender.rawValue.isEmpty, "an event without an id or sender")
                check(event.sender.rawValue != "@skav:example.org", "the bot's own event reported")
                check(event.timestamp >= Date(timeIntervalSince1970: 0) && event.timestamp <= ServerNumber.latestDate, "timestamp")
            }
        }
        if let events, let whole = SyncDecoding.events(fromSyncBody: data, me: "@skav:example.org", now: now, skippingOwnContent: false) {
            check(events == whole, "leaving the bot's own contents out changed the events")
        }
        if data.count <= 1_024 {
            // Error bodies are small; a large input was decoded above already.
            let (_, wait) = SyncDecoding.errorSummary(fromErrorBody: data)
            check(wait.map { $0 >= .zero && $0 <= ServerNumber.maxRetryWait } ?? true, "retry_after_ms out of range")
        }
        let firstLine = String(decoding: data.prefix { $0 != 0x0A }, as: UTF8.self)
        if let header = ServerNumber.retryAfter(header: firstLine, now: now) {
            check(header >= .zero && header <= ServerNumber.maxRetryWait, "Retry-After out of range: \(firstLine)")
        }
        _ = ServerNumber.count(header: firstLine)
    }

    /// The config file parser on any YAML text: a config, or a `ConfigError` naming the key; never a trap.
    static let config = FuzzTarget(name: "config") { bytes in
        let input = text(bytes)
        do throws(ConfigError) {
            _ = try SkavConfig.parse(yaml: input, relativeTo: URL(fileURLWithPath: "/nonexistent-skav-fuzz"))
        } catch {
            check(!error.key.isEmpty || !error.problem.isEmpty, "an empty config error")
        }
    }
}
