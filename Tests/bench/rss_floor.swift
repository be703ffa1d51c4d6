// The resident memory a process pays before any of Skav's own work: it loads and sets up only what Skav
// cannot run without, the way Skav does, and prints its peak RSS (VmHWM) and how much of it is private.
//
//     swiftc -O Tests/bench/rss_floor.swift -o /tmp/rss_floor && /tmp/rss_floor
//
// (`-static-stdlib` links the Swift libraries in: their code then counts only as far as it is used.)
//
// `Tests/bench/fake_bench.py` builds and runs it beside the bot, so the bot's peak RSS can be read against it:
// - Foundation (GRDB and Yams import it), with a named time zone (the municipality's working calendar needs
//   one; on Linux that brings in ICU);
// - libcurl, set up with `curl_global_init` (which also sets up OpenSSL, for plain HTTP too);
// - SQLite, a database opened in WAL mode with one table written and read.
// Both C libraries are opened with `dlopen`, as the dynamic linker opens them for the bot, so this file needs
// no module map and builds with `swiftc` alone.
import Foundation

func symbol<T>(_ library: UnsafeMutableRawPointer, _ name: String, as type: T.Type) -> T {
    guard let address = dlsym(library, name) else { fatalError("no \(name): \(String(cString: dlerror()))") }
    return unsafeBitCast(address, to: type)
}

func open(_ names: [String]) -> UnsafeMutableRawPointer {
    for name in names { if let handle = dlopen(name, RTLD_NOW | RTLD_GLOBAL) { return handle } }
    fatalError("cannot open \(names[0]): \(String(cString: dlerror()))")
}

let zone = TimeZone(identifier: "Europe/Stockholm")
var calendar = Calendar(identifier: .gregorian)
calendar.timeZone = zone ?? .gmt
let weekday = calendar.component(.weekday, from: Date())

let curl = open(["libcurl.so.4", "libcurl-gnutls.so.4"])
let globalInit = symbol(curl, "curl_global_init", as: (@convention(c) (Int) -> Int32).self)
let easyInit = symbol(curl, "curl_easy_init", as: (@convention(c) () -> OpaquePointer?).self)
let easyCleanup = symbol(curl, "curl_easy_cleanup", as: (@convention(c) (OpaquePointer?) -> Void).self)
precondition(globalInit(3) == 0, "curl_global_init failed")  // CURL_GLOBAL_ALL, as CurlGlobal does
easyCleanup(easyInit())

let sqlite = open(["libsqlite3.so.0"])
typealias Exec = @convention(c) (OpaquePointer?, UnsafePointer<CChar>, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?,
    UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32
let openV2 = symbol(sqlite, "sqlite3_open_v2",
    as: (@convention(c) (UnsafePointer<CChar>, UnsafeMutablePointer<OpaquePointer?>, Int32, UnsafePointer<CChar>?) -> Int32).self)
let exec = symbol(sqlite, "sqlite3_exec", as: Exec.self)
let close = symbol(sqlite, "sqlite3_close", as: (@convention(c) (OpaquePointer?) -> Int32).self)
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("skav-rss-floor-\(getpid())")
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: folder) }
var db: OpaquePointer?
precondition(openV2(folder.appendingPathComponent("floor.sqlite").path, &db, 0x06 | 0x8000, nil) == 0)  // READWRITE|CREATE|NOMUTEX
for sql in [
    "PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL",
    "CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)",
    "INSERT INTO t (body) VALUES ('hej')", "SELECT body FROM t",
] {
    precondition(exec(db, sql, nil, nil, nil) == 0, "sqlite: \(sql)")
}
_ = close(db)

func status(_ field: String) -> Int {
    let text = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = text.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
}
print("floor: VmHWM \(status("VmHWM")) kB, RssAnon \(status("RssAnon")) kB, RssFile \(status("RssFile")) kB (weekday \(weekday))")
