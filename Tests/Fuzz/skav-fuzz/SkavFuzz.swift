import CFuzzDriver
import Foundation

/// Coverage-guided fuzz targets for what chat text, a server or the config file can reach.
///
///     skav-fuzz <target> [libFuzzer options] [corpus directories]    in the fuzz build (libFuzzer)
///     skav-fuzz <target> [files or directories]                       elsewhere: replays each input once
///     skav-fuzz --list                                                the targets
///
/// The fuzz build is `Tests/fuzz-targets.sh` (release, `-sanitize=fuzzer,address`, `-Xcc -DSKAV_LIBFUZZER`);
/// in a normal build this is a replayer, so `swift build` needs no libFuzzer. A target crashes (traps or
/// fails an invariant with `fatalError`) on a bad input; libFuzzer then writes it as `crash-…`.
@main
struct SkavFuzz {
    static func main() {
        var arguments = CommandLine.arguments
        guard arguments.count >= 2, let target = FuzzTarget.all[arguments[1]] else {
            if arguments.dropFirst().first == "--list" {
                print(FuzzTarget.all.keys.sorted().joined(separator: "\n"))
                exit(0)
            }
            let names = FuzzTarget.all.keys.sorted().joined(separator: ", ")
            FileHandle.standardError.write(Data("usage: skav-fuzz <target> [options] [inputs]; targets: \(names)\n".utf8))
            exit(2)
        }
        FuzzTarget.current = target
        target.prepare()
        arguments.remove(at: 1)

        if skav_fuzz_has_libfuzzer() == 1 {
            // libFuzzer reads its own options (-runs=N, -max_total_time=S, corpus directories).
            var pointers: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
            var argc = CInt(arguments.count)
            let status = pointers.withUnsafeMutableBufferPointer { buffer -> CInt in
                var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = buffer.baseAddress
                return skav_fuzz_run_driver(&argc, &argv) { data, size in
                    FuzzTarget.current?.run(UnsafeRawBufferPointer(start: data, count: size))
                    return 0
                }
            }
            exit(status)
        }
        exit(replay(target, paths: Array(arguments.dropFirst())))
    }

    /// Runs every file (of the directories, too) once through the target; the target's seed corpus when
    /// no path is given. A crash is the failure; the return value is 1 only when no input was found.
    static func replay(_ target: FuzzTarget, paths: [String]) -> Int32 {
        let given = paths.filter { !$0.hasPrefix("-") }
        let roots = given.isEmpty ? [FuzzTarget.corpusDirectory(target.name).path] : given
        var files: [String] = []
        for root in roots {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
                files += names.sorted().map { root + "/" + $0 }
            } else {
                files.append(root)
            }
        }
        guard !files.isEmpty else {
            FileHandle.standardError.write(Data("skav-fuzz \(target.name): no inputs in \(roots)\n".utf8))
            return 1
        }
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            data.withUnsafeBytes { target.run($0) }
        }
        print("skav-fuzz \(target.name): \(files.count) inputs replayed without a crash")
        return 0
    }
}

/// One fuzz target: a name and a function of the input bytes.
struct FuzzTarget: Sendable {
    var name: String
    /// Work done once before the first input (loading the prompts).
    var prepare: @Sendable () -> Void = {}
    var run: @Sendable (UnsafeRawBufferPointer) -> Void

    /// The target libFuzzer's callback runs (a C function pointer cannot capture it).
    nonisolated(unsafe) static var current: FuzzTarget?

    static let all: [String: FuzzTarget] = Dictionary(
        uniqueKeysWithValues: [scanner, command, conversation, sync, config].map { ($0.name, $0) })

    /// The repository's root, found from this file (the prompts and the corpus live there).
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func corpusDirectory(_ name: String) -> URL {
        repositoryRoot.appendingPathComponent("Tests/Fuzz/corpus/\(name)", isDirectory: true)
    }
}

/// The input as text, as a chat message would arrive (invalid UTF-8 repaired).
func text(_ bytes: UnsafeRawBufferPointer) -> String {
    String(decoding: bytes, as: UTF8.self)
}

/// An invariant failed: a crash, so libFuzzer keeps the input.
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant: \(message())") }
}
