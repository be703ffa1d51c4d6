import Foundation
import Testing

@testable import Intake
@testable import Store
import Prompts
import GRDB

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The database holds the bot's access token and everyone's ideas: its folder is 0700 and its files 0600
/// whatever the umask.
@Suite final class FileModeTests {
    /// The folders a test made, removed after it (a new suite instance runs each test).
    private var made: [URL] = []

    deinit {
        for directory in made { try? FileManager.default.removeItem(at: directory) }
    }

    func temporaryDirectory() -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("skav-modes-\(UUID().uuidString)")
        made.append(directory)
        return directory
    }

    @Test func aNewStoreIsForTheOwnerOnlyUnderAPermissiveUmask() throws {
        let previous = umask(0o022)
        defer { umask(previous) }
        let directory = temporaryDirectory().appendingPathComponent("data")
        let path = directory.appendingPathComponent("skav.sqlite").path
        let store = try IntakeStore(path: path)
        try store.write { tx in try tx.setValue("secret-token", for: "matrix.credentials") }
        #expect(PrivateFiles.mode(of: directory.path) == 0o700)
        for suffix in ["", "-wal", "-shm"] {
            let mode = try #require(PrivateFiles.mode(of: path + suffix), "\(suffix) exists")
            #expect(mode == 0o600, "skav.sqlite\(suffix) is \(String(mode, radix: 8))")
        }
        #expect(PrivateFiles.problems(databasePath: path).isEmpty)
        // The parent that had to be made is not the bot's alone: it keeps the usual mode.
        #expect(PrivateFiles.mode(of: directory.deletingLastPathComponent().path) == 0o755)
    }

    @Test func looserModesAreNamedWithTheChmodThatFixesThem() throws {
        let directory = temporaryDirectory()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("skav.sqlite").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        #expect(chmod(path, 0o644) == 0)
        #expect(chmod(directory.path, 0o755) == 0)
        let problems = PrivateFiles.problems(databasePath: path)
        #expect(problems.count == 2)
        #expect(problems.contains { $0.contains("chmod 600 \(path)") && $0.contains("0644") })
        #expect(problems.contains { $0.contains("chmod 700 \(directory.path)") })
        // An existing file keeps the mode the operator gave it; only new ones are made strict.
        _ = try IntakeStore(path: path)
        #expect(PrivateFiles.mode(of: path) == 0o644)
    }

    @Test func anExportFileIsWrittenForTheOwnerOnlyAlsoOverALooserOne() throws {
        let previous = umask(0o022)
        defer { umask(previous) }
        let directory = temporaryDirectory()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("ideas.csv").path
        try PrivateFiles.write(Data("a;b\r\n".utf8), to: path)
        #expect(PrivateFiles.mode(of: path) == 0o600)
        #expect(chmod(path, 0o644) == 0)
        try PrivateFiles.write(Data("c;d\r\n".utf8), to: path)
        #expect(PrivateFiles.mode(of: path) == 0o600)
        #expect(FileManager.default.contents(atPath: path) == Data("c;d\r\n".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["ideas.csv"])
    }
}
