import Intake
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Files and folders that hold personal data or the bot's access token (the database, its write-ahead log
/// and shared memory, exports) are for the bot's own user only: folders 0700, files 0600, whatever the
/// umask. Existing files keep the mode the operator gave them; `skav doctor` warns when it is looser.
public enum PrivateFiles {
    public static let fileMode: mode_t = 0o600
    public static let directoryMode: mode_t = 0o700

    /// The files kept next to a database: SQLite's, and the crash guard's input-in-flight mark.
    public static let databaseSuffixes = ["", "-wal", "-shm", "-journal", "-inflight"]

    /// Creates `directory` (and missing parents) when it does not exist; the folder itself gets 0700.
    /// Parents that had to be made get the usual mode: they are not ours alone (e.g. `~/.local/share`).
    public static func createDirectory(_ directory: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) { return }
        try FileManager.default.createDirectory(
            at: directory.deletingLastPathComponent(), withIntermediateDirectories: true)
        if mkdir(directory.path, directoryMode) != 0 && errno != EEXIST {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        _ = chmod(directory.path, directoryMode)
    }

    /// Creates an empty file with mode 0600 unless it exists (SQLite then opens it as a new database, and
    /// gives its -wal and -shm files the same mode).
    public static func createFile(_ path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, fileMode)
        if descriptor < 0 {
            if errno == EEXIST { return }
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        _ = fchmod(descriptor, fileMode)
        close(descriptor)
    }

    /// Writes `data` to `path` atomically (a temporary file beside it, then a rename) with mode 0600; an
    /// existing file at `path` is replaced, so it ends up 0600 too.
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp").path
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, fileMode)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var failure: Int32 = 0
        _ = fchmod(descriptor, fileMode)
        do {
            try FileHandle(fileDescriptor: descriptor, closeOnDealloc: false).write(contentsOf: data)
        } catch {
            failure = EIO
        }
        if failure == 0 && fsync(descriptor) != 0 { failure = errno }
        close(descriptor)
        if failure == 0 && rename(temporary, path) != 0 { failure = errno }
        if failure != 0 {
            unlink(temporary)
            throw POSIXError(POSIXErrorCode(rawValue: failure) ?? .EIO)
        }
    }

    /// Like `write(_:to:)`, for output made piece by piece: `body` gets a function that appends to the
    /// temporary file (0600), which replaces `path` only when `body` returns. Nothing is held in memory.
    public static func write(to path: String, _ body: (_ append: (Data) throws -> Void) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp").path
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, fileMode)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        _ = fchmod(descriptor, fileMode)
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
        var failure: (any Error)?
        do {
            try body { try handle.write(contentsOf: $0) }
            if fsync(descriptor) != 0 { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        } catch {
            failure = error
        }
        close(descriptor)
        if failure == nil && rename(temporary, path) != 0 { failure = POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        if let failure {
            unlink(temporary)
            throw failure
        }
    }

    /// The permission bits of a file or folder, nil when it does not exist.
    public static func mode(of path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o7777
    }

    /// What is too open about the database's folder and files: one line each, naming the path and the
    /// `chmod` that fixes it. Empty when everything is for the owner only (or does not exist yet).
    public static func problems(databasePath path: String) -> [String] {
        var found: [String] = []
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if let mode = mode(of: directory), mode & 0o077 != 0 {
            found.append("\(directory) is \(octal(mode)) (open to group or others): chmod 700 \(directory)")
        }
        for suffix in databaseSuffixes {
            let file = path + suffix
            if let mode = mode(of: file), mode & 0o077 != 0 {
                found.append("\(file) is \(octal(mode)) (open to group or others): chmod 600 \(file)")
            }
        }
        return found
    }

    static func octal(_ mode: mode_t) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
