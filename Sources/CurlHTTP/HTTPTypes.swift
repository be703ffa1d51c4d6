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
    /// The head's field lines as they came, each with its line end (the status line left out): read only
    /// when asked (`header`), as the callers want one field of a few answers (a 429's `Retry-After`). Taking
    /// every answer's head apart into a dictionary was about a hundredth of a burst message's instructions.
    private var head: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.body = body
        self.head = Self.head(of: headers)
    }

    /// A response whose head's field lines are `head` as received (`HeaderLine` reads each).
    init(status: Int, head: [UInt8], body: Data) {
        self.status = status
        self.head = head
        self.body = body
    }

    /// Header fields with lower-cased names (the last value wins for repeated names).
    public var headers: [String: String] {
        get {
            var fields: [String: String] = [:]
            forEachField { name, value in fields[String(decoding: name, as: UTF8.self)] = String(decoding: value, as: UTF8.self) }
            return fields
        }
        set { head = Self.head(of: newValue) }
    }

    /// The value of the field `name` (in any case), the last one when it is repeated.
    public func header(_ name: String) -> String? {
        let wanted = Array(name.lowercased().utf8)
        var found: String?
        forEachField { fieldName, value in
            if fieldName.elementsEqual(wanted) { found = String(decoding: value, as: UTF8.self) }
        }
        return found
    }

    public static func == (lhs: HTTPResponse, rhs: HTTPResponse) -> Bool {
        lhs.status == rhs.status && lhs.body == rhs.body && lhs.headers == rhs.headers
    }

    /// Calls `body` with each field's lower-cased name and its value, without the blanks around them.
    private func forEachField(_ body: (_ name: [UInt8], _ value: Slice<UnsafeRawBufferPointer>) -> Void) {
        head.withUnsafeBytes { bytes in
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

    private static func head(of fields: [String: String]) -> [UInt8] {
        var head: [UInt8] = []
        for (name, value) in fields { head += Array("\(name.lowercased()): \(value)\r\n".utf8) }
        return head
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
