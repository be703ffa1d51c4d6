import CurlHTTP
import Foundation

/// The Python test server (`test_server.py` next to this file), one per test.
/// It listens on 127.0.0.1 at a free port and exits when we close its stdin or kill it.
final class TestServer: Sendable {
    struct StartFailure: Error, CustomStringConvertible {
        let description: String
    }

    let port: Int
    /// A port with nothing listening on it (for refused-connection tests).
    let closedPort: Int
    private let process: Process
    private let stdin: Pipe

    var base: String { "http://127.0.0.1:\(port)" }
    func url(_ path: String) -> String { base + path }

    private init(port: Int, closedPort: Int, process: Process, stdin: Pipe) {
        self.port = port
        self.closedPort = closedPort
        self.process = process
        self.stdin = stdin
    }

    static func start() async throws -> TestServer {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("test_server.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path]
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        // The first line is "<port> <closed-port>"; EOF first means the script failed to start.
        // Read it on a thread of its own: blocking a thread of the (2-core) concurrency pool would
        // stall the other tests running in parallel and distort their timings.
        let reader = stdout.fileHandleForReading
        let output: Data = await withCheckedContinuation { continuation in
            Thread {
                var output = Data()
                while !output.contains(UInt8(ascii: "\n")) {
                    let chunk = reader.availableData
                    if chunk.isEmpty { break }
                    output.append(chunk)
                }
                continuation.resume(returning: output)
            }.start()
        }
        let fields = String(decoding: output, as: UTF8.self).split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        guard fields.count == 2 else {
            if process.isRunning { process.terminate() }
            throw StartFailure(description: "test server did not print its ports: '\(String(decoding: output, as: UTF8.self))'")
        }
        return TestServer(port: fields[0], closedPort: fields[1], process: process, stdin: stdin)
    }

    /// Closes the server's stdin (it exits on EOF) and terminates it; does not block.
    func stop() {
        try? stdin.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
    }
}

/// Runs `body` with a fresh test server and stops the server afterwards, whatever happens.
func withTestServer<T>(_ body: (TestServer) async throws -> T) async throws -> T {
    let server = try await TestServer.start()
    defer { server.stop() }
    return try await body(server)
}

/// `withTestServer` with a client named `name`, shut down when `body` is done.
func withTestClient<T>(_ name: String = "test", _ body: (TestServer, CurlHTTPClient) async throws -> T) async throws -> T {
    try await withTestServer { server in
        let client = CurlHTTPClient(name: name)
        defer { client.shutdown() }
        return try await body(server, client)
    }
}

/// What `/echo` answers.
struct Echo: Decodable {
    let method: String
    let path: String
    let query: [String: String]
    let headers: [String: String]
    let body: String
    let client_port: Int
}
