// swift-tools-version:6.2
import PackageDescription

// Every target of ours builds in Swift 6 language mode with strict concurrency,
// and a warning is an error: the project keeps zero warnings.
let strict: [SwiftSetting] = [
    .treatAllWarnings(as: .error),
    // A section per function, so that a release link can lay out the code that runs together (`releaseLink`).
    .unsafeFlags(["-Xfrontend", "-function-sections"], .when(platforms: [.linux], configuration: .release)),
]

/// How release builds of `skav` link on Linux (Tests/bench/link_order.py says why, and makes the order):
/// with lld (it comes with the Swift toolchain); the code that runs laid out together at the front
/// (`hot.order`, `hot-unnamed.ld`, written by `bash Tests/bench.sh --link-order`), so that the kernel's
/// fault-around maps little code that never runs; and no symbol exported but `main` (`exports.map`: linking the
/// Swift libraries statically exports every symbol of Skav and its packages, a table the dynamic linker reads
/// at start). Tests/build-production.sh adds packed relative relocations where glibc reads them. Debug builds
/// link as SwiftPM's default.
let link = Context.packageDirectory + "/Sources/skav/link"
let releaseLink: [LinkerSetting] = [
    .unsafeFlags([
        "-use-ld=lld",
        "-Xlinker", "--symbol-ordering-file=\(link)/hot.order", "-Xlinker", "--no-warn-symbol-ordering",
        "-Xlinker", "-T", "-Xlinker", "\(link)/hot-unnamed.ld",
        "-Xlinker", "--version-script=\(link)/exports.map",
    ], .when(platforms: [.linux], configuration: .release)),
]

/// A chat adapter over HTTP (or what such adapters share): on `Chat`, `CurlHTTP`, `CrashGuard` and logging.
func httpChatTarget(_ name: String, sharing shared: [Target.Dependency] = []) -> Target {
    .target(
        name: name,
        dependencies: ["Chat"] + shared + ["CurlHTTP", "CrashGuard", .product(name: "Logging", package: "swift-log")],
        swiftSettings: strict
    )
}

let package = Package(
    name: "Skav",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "skav", targets: ["skav"]),
        // Coverage-guided fuzz targets (libFuzzer); `Tests/fuzz-targets.sh` builds and runs them.
        .executable(name: "skav-fuzz", targets: ["skav-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // libcurl, through pkg-config; the header holds typed inline wrappers for
        // the variadic curl_easy_setopt / curl_easy_getinfo.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(
            name: "CurlHTTP",
            dependencies: [
                "CCurl",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The breadcrumb of the poison-message quarantine: a signal handler marks the input that was in
        // flight when the process died (C: a signal handler must be async-signal-safe).
        .target(name: "CCrashGuard"),
        .target(name: "CrashGuard", dependencies: ["CCrashGuard"], swiftSettings: strict),
        .target(
            name: "Chat",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // What the two HTTP adapters share: one call's retries (backoff, 429s, cancellation, `ChatError`s) and
        // the URLs of an HTTP API.
        httpChatTarget("ChatHTTP"),
        httpChatTarget("MatrixChat", sharing: ["ChatHTTP"]),
        // Mattermost (REST API v4) behind `ChatService`: polls the channel list and change feeds.
        httpChatTarget("MattermostChat", sharing: ["ChatHTTP"]),
        // The texts Skav says, in every language it speaks: the catalog loaded from `prompts/*.yaml`, the keys the
        // code uses and the placeholders each key takes (checked against the files when they are loaded).
        .target(
            name: "Prompts",
            dependencies: ["Chat", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        // The intake model: people, ideas and their stages, the pipeline's rules, challenges and idea
        // challenges, the working calendar, and the reading protocol the conversation asks through. No database.
        .target(name: "Intake", dependencies: ["Chat", "Prompts"], swiftSettings: strict),
        // The one SQLite database (GRDB) over the model: schema and migrations, the outbox, nudges, rooms,
        // quarantine, the audit log and the queries of the digests and the similar-idea search.
        // SQLite's process-wide options, set before its first use (C: `sqlite3_config` is variadic).
        .target(name: "CSQLiteSetup", linkerSettings: [.linkedLibrary("sqlite3")]),
        .target(
            name: "Store",
            dependencies: [
                "Chat", "Intake", "Prompts", "CSQLiteSetup",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C interface, for the statements of every message (`DirectStatement`).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Finds and masks personal data in incoming text (SkavBot.docc/Privacy.md); pure, no dependencies.
        .target(name: "Masking", swiftSettings: strict),
        // The conversation: pure, from a message and what it reads through `IntakeReading` to a reply and actions.
        .target(name: "Conversation", dependencies: ["Chat", "Intake", "Prompts"], swiftSettings: strict),
        // The digest for coordinators and guides (SkavBot.docc/Digests.md): built as a document from the
        // prompts, rendered and split for the chat server. Pure: the bot loads its data from the store.
        .target(name: "Digest", dependencies: ["Chat", "Intake", "Prompts"], swiftSettings: strict),
        // The chat "server" of `skav` without a config: the person at the terminal.
        .target(name: "TerminalChat", dependencies: ["Chat"], swiftSettings: strict),
        // The configuration file: one reader, one `init` per section, errors that name the key and the line.
        .target(
            name: "Configuration",
            dependencies: ["Chat", "Intake", "Prompts", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        .target(
            name: "SkavBot",
            dependencies: [
                "Chat", "MatrixChat", "MattermostChat", "TerminalChat", "Configuration", "Conversation", "Prompts", "Intake", "Store", "CurlHTTP",
                "Masking",
                "Digest", "CrashGuard",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        // What only the command line uses: the idea export, `ideas stage`, the digest demo, the nudge simulation.
        .target(
            name: "SkavTools",
            dependencies: [
                "SkavBot", "Configuration", "Conversation", "Digest", "Store", "Prompts", "Intake", "Chat",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "skav",
            dependencies: [
                "SkavBot", "SkavTools", "Configuration", "Intake", "Store", "Prompts", "Conversation", "Chat", "Digest",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["link"],
            swiftSettings: strict,
            linkerSettings: releaseLink
        ),
        // `Tests/bench.sh --scale N`: seeds an organisation of N ideas through the store and prints the figures.
        .executableTarget(
            name: "skav-bench",
            dependencies: [
                "SkavBot", "Intake", "Store", "Prompts", "Conversation", "Chat",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // libFuzzer's driver entry, compiled in only with -Xcc -DSKAV_LIBFUZZER (the fuzz build); a stub otherwise.
        .target(name: "CFuzzDriver", path: "Tests/Fuzz/CFuzzDriver"),
        // An in-memory intake for the conversation's tests and fuzzers (not a product; no Swift Testing, so the
        // libFuzzer build of `skav-fuzz` takes it too).
        .target(name: "IntakeFakes", dependencies: ["Chat", "Intake", "Conversation"], path: "Tests/IntakeFakes", swiftSettings: strict),
        // The fuzz targets: scanner, command parser, conversation, sync decoding, config. In a normal build a
        // replayer of `Tests/Fuzz/corpus/<target>`; `Tests/fuzz-targets.sh` builds it with libFuzzer.
        .executableTarget(
            name: "skav-fuzz",
            dependencies: ["CFuzzDriver", "IntakeFakes", "Masking", "Conversation", "Configuration", "Prompts", "Intake", "Store", "Chat", "MatrixChat", "SkavBot"],
            path: "Tests/Fuzz/skav-fuzz",
            swiftSettings: strict
        ),
        // What the tests share (not a product): the fake chat server, one engine harness, a quiet logger, the
        // repository's prompts, deterministic waits and the service lifecycle's graceful-shutdown trigger.
        .target(
            name: "SkavTesting",
            dependencies: [
                "Chat", "Conversation", "CurlHTTP", "Intake", "Prompts", "SkavBot", "Store",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CurlHTTPTests", dependencies: ["CurlHTTP", "SkavTesting"], exclude: ["test_server.py"], swiftSettings: strict),
        .testTarget(name: "ChatTests", dependencies: ["Chat"], swiftSettings: strict),
        .testTarget(
            name: "MatrixChatTests", dependencies: ["MatrixChat", "ChatHTTP", "Chat", "CurlHTTP", "SkavTesting"], exclude: ["Fixtures"],
            swiftSettings: strict),
        .testTarget(
            name: "MattermostChatTests", dependencies: ["MattermostChat", "Chat", "CurlHTTP", "SkavTesting"], swiftSettings: strict),
        .testTarget(
            name: "IntakeTests",
            dependencies: [
                "Intake", "Store", "Prompts", "Chat", "CSQLiteSetup", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "ConversationTests",
            dependencies: ["Conversation", "Prompts", "Intake", "IntakeFakes", "Chat", "SkavTesting"],
            resources: [],
            swiftSettings: strict
        ),
        .testTarget(name: "MaskingTests", dependencies: ["Masking", "Chat"], exclude: ["corpus.tsv"], swiftSettings: strict),
        // Property-based fuzzing of the parser, the conversation, the scanner and sync decoding;
        // `Tests/fuzz.sh` runs it with 100,000 cases per target.
        .testTarget(
            name: "FuzzTests",
            dependencies: ["Conversation", "Prompts", "Intake", "IntakeFakes", "Store", "Chat", "Masking", "MatrixChat", "SkavTesting"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SkavBotTests",
            dependencies: [
                "SkavBot", "SkavTools", "SkavTesting", "Configuration", "Conversation", "Prompts", "Intake", "Store", "Chat", "CrashGuard",
                "TerminalChat", "Digest",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Golden files: regenerate with SKAV_UPDATE_GOLDEN=1 swift test --filter DigestTests.
        .testTarget(
            name: "DigestTests",
            dependencies: ["Digest", "SkavBot", "SkavTools", "SkavTesting", "Configuration", "Prompts", "Intake", "Store", "Chat"],
            exclude: ["Golden"],
            swiftSettings: strict
        ),
    ]
)
