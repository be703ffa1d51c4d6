import Foundation

/// An HTTP request as Skav's adapters need it: small JSON bodies, a per-request deadline.
public struct HTTPRequest: Sendable, Equatable {
    public var method: String
    public var url: String
    /// Header fields in order; names are sent as given.
    public var headers: [(name: String, value: String)]
    public var body: Data?
    /// The whole transfer must finish within this time (connect included).
    public var timeout: Duration
    /// False for a request that must not arrive twice (creating a room): it goes on a fresh connection.
    /// libcurl re-sends a request by itself when a kept-alive connection it reused turns out dead before
    /// any answer came, which would repeat a request the server may already have applied.
    public var idempotent = true

    public init(
        method: String = "GET",
        url: String,
        headers: [(name: String, value: String)] = [],
        body: Data? = nil,
        timeout: Duration = .seconds(30)
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }

    public static func == (lhs: HTTPRequest, rhs: HTTPRequest) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url && lhs.body == rhs.body && lhs.timeout == rhs.timeout
            && lhs.headers.map(\.name) == rhs.headers.map(\.name)
            && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }
}

public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    public var body: Data
    private var head: Head

    /// The head's fields: as received from the server, read only when asked (`header`), as the callers want
    /// one field of a few answers (a 429's `Retry-After`; taking every answer's head apart into a dictionary
    /// was about a hundredth of a burst message's instructions); or as a caller gave them, kept as given.
    private enum Head: Sendable {
        /// The head's field lines as received, each ending in LF (the status line left out).
        case received([UInt8])
        case fields([String: String])
    }

    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.body = body
        self.head = .fields(headers)
    }

    /// A response whose head's field lines are `head` as received, each ending in LF (`HeaderLine` reads each).
    init(status: Int, head: [UInt8], body: Data) {
        self.status = status
        self.head = .received(head)
        self.body = body
    }

    /// Header fields; those received have lower-cased names (the last value wins for repeated names).
    public var headers: [String: String] {
        get {
            switch head {
            case .fields(let fields): return fields
            case .received(let lines):
                var fields: [String: String] = [:]
                Self.forEachField(in: lines) { name, value in
                    fields[String(decoding: name, as: UTF8.self)] = String(decoding: value, as: UTF8.self)
                }
                return fields
            }
        }
        set { head = .fields(newValue) }
    }

    /// The value of the received field `name` (in any case), the last one when it is repeated; of fields
    /// given as a dictionary, the one under `name` lower-cased.
    public func header(_ name: String) -> String? {
        switch head {
        case .fields(let fields): return fields[name.lowercased()]
        case .received(let lines):
            let wanted = Array(name.lowercased().utf8)
            var found: String?
            Self.forEachField(in: lines) { fieldName, value in
                if fieldName.elementsEqual(wanted) { found = String(decoding: value, as: UTF8.self) }
            }
            return found
        }
    }

    public static func == (lhs: HTTPResponse, rhs: HTTPResponse) -> Bool {
        lhs.status == rhs.status && lhs.body == rhs.body && lhs.headers == rhs.headers
    }

    /// Calls `body` with each field's lower-cased name and its value, without the blanks around them.
    private static func forEachField(in lines: [UInt8], _ body: (_ name: [UInt8], _ value: Slice<UnsafeRawBufferPointer>) -> Void) {
        lines.withUnsafeBytes { bytes in
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
                if end < bytes.count { end += 1 }  // the line feed belongs to the line
                if let (name, value) = HeaderLine.field(UnsafeRawBufferPointer(rebasing: bytes[start..<end])) {
                    body(name, value)
                }
                start = end
            }
        }
    }
}

/// A transport failure: no HTTP response was received (an HTTP error status is a response, not an error).
public struct HTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        case timedOut = "timed_out"
        case connectionFailed = "connection_failed"
        case cancelled
        case responseTooLarge = "response_too_large"
        case invalidRequest = "invalid_request"
        case transport
    }

    public var code: Code
    /// curl's own message, or ours.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// A short label for logs and metrics.
    public var label: String { code.rawValue }
    public var description: String { "\(code.rawValue): \(message)" }

    public static func timedOut(_ message: String) -> HTTPError { .init(.timedOut, message) }
    public static func connectionFailed(_ message: String) -> HTTPError { .init(.connectionFailed, message) }
    public static let cancelled = HTTPError(.cancelled, "the request was cancelled")
}

/// Something that performs HTTP requests. `CurlHTTPClient` is the real one; tests may fake it.
public protocol HTTPClient: Sendable {
    /// Performs the request. Honours task cancellation promptly (an open long poll ends within 100 ms)
    /// by throwing `HTTPError.cancelled`.
    func execute(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse
}
