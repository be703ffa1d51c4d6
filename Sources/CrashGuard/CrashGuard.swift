import CCrashGuard
import Foundation

/// What was being handled when the process died: one incoming event, or the decoding of one sync answer.
public struct InFlight: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// One incoming event, by its id.
        case event
        /// One answer of the chat server's change feed, by the cursor it was asked for.
        case sync
    }

    public var kind: Kind
    public var key: String

    public init(_ kind: Kind, _ key: String) {
        self.kind = kind
        self.key = key
    }

    public var description: String { "\(kind.rawValue) \(key)" }

    /// The decoding of the change-feed answer asked for with `cursor` (nil: the first start).
    public static func sync(cursor: String?) -> InFlight { InFlight(.sync, "sync:" + (cursor ?? "")) }

    /// The cursor of a `sync` input (nil for the first start's).
    public var syncCursor: String? {
        guard kind == .sync, key.hasPrefix("sync:") else { return nil }
        let cursor = String(key.dropFirst("sync:".count))
        return cursor.isEmpty ? nil : cursor
    }

    /// One line of text: the kind, a space, the key with line breaks escaped (`%` as `%25`, LF as `%0A`, CR
    /// as `%0D`). Written before every event is handled, so byte by byte, and a key without them as it is
    /// (Foundation's `replacingOccurrences`, three times, was a twentieth of a message's instructions).
    var encoded: String {
        let utf8 = key.utf8
        guard utf8.contains(where: { $0 == 0x25 || $0 == 0x0A || $0 == 0x0D }) else { return kind.rawValue + " " + key }
        var bytes = Array((kind.rawValue + " ").utf8)
        bytes.reserveCapacity(bytes.count + utf8.count + 8)
        for byte in utf8 {
            switch byte {
            case 0x25: bytes += Array("%25".utf8)
            case 0x0A: bytes += Array("%0A".utf8)
            case 0x0D: bytes += Array("%0D".utf8)
            default: bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    init?(encoded line: Substring) {
        guard let space = line.firstIndex(of: " "), let kind = Kind(rawValue: String(line[..<space])) else { return nil }
        let key = String(line[line.index(after: space)...]).replacingOccurrences(of: "%0A", with: "\n")
            .replacingOccurrences(of: "%0D", with: "\r").replacingOccurrences(of: "%25", with: "%")
        guard !key.isEmpty else { return nil }
        self.init(kind, key)
    }
}

/// The breadcrumb behind the poison-message quarantine (see the README, "Safety and reliability").
///
/// A trap in Swift cannot be caught: a message that traps kills the process, and because its batch was
/// never committed, the next start reads it again and dies again, for everyone. So before the bot handles
/// a piece of input it writes what it is to a small file next to the database (`watch`), and a handler
/// for the fatal signals marks the file when the thread that wrote it dies. The next start reads the file
/// (`lastCrash`) and counts a death against that input; the engine sets aside input that has taken the
/// process down twice.
///
/// Cost on the happy path: one system call per handled input (a `pwrite` at the start of the file, no
/// fsync; a process crash keeps the kernel's buffers): about 0.5 µs measured. None when the input is the
/// one the file holds already (a sync answer is watched at each of its steps). A SIGKILL leaves no mark: being killed is not the input's fault.
/// Without `install` (tests, the terminal) `watch` only runs its body.
public enum CrashGuard {
    /// The file next to a database: `<database>-inflight`.
    public static func path(forDatabase database: String) -> String { database + "-inflight" }

    /// Opens the breadcrumb file (mode 0600) and installs the signal handlers, process-wide.
    public static func install(path: String) throws {
        guard skav_crashguard_install(path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }

    /// Runs `body` with `input` recorded as in flight on this thread. `body` must not suspend: the signal
    /// handler recognises the thread that began the record.
    public static func watch<T>(_ input: InFlight, _ body: () throws -> T) rethrows -> T {
        let line = input.encoded + "\n"
        let began = line.utf8CString.withUnsafeBufferPointer { buffer in
            skav_crashguard_begin(buffer.baseAddress, buffer.count - 1) == 0
        }
        defer { if began { skav_crashguard_end() } }
        return try body()
    }

    /// The input that was in flight when the process last died of a fatal signal, or nil (a clean stop, a
    /// SIGKILL, or no file). Read it before `install`, which keeps the file, then `clear` once recorded.
    public static func lastCrash(path: String) -> InFlight? {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty,
            let text = String(data: data, encoding: .utf8)
        else { return nil }
        // The record, then the crash mark right after it (anything further is a tail of an older record).
        let lines = text.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)
        guard lines.count >= 2, lines[1] == "crash" else { return nil }
        return InFlight(encoded: lines[0])
    }

    /// Empties the breadcrumb after its crash has been recorded.
    public static func clear() {
        _ = skav_crashguard_clear()
    }

    /// Marks the current record as crashed without dying (tests of the bookkeeping).
    public static func simulateCrash() {
        skav_crashguard_simulate_crash()
    }
}
