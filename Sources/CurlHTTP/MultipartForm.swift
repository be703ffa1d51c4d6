import Foundation

/// A `multipart/form-data` body (RFC 7578) for file uploads: text fields and files, in order.
/// The boundary holds a random UUID per form, so it does not turn up inside a part by chance.
public struct MultipartForm: Sendable {
    private enum Part: Sendable {
        case field(name: String, value: String)
        case file(name: String, filename: String, contentType: String, data: Data)
    }

    private var parts: [Part] = []
    public let boundary: String

    public init(boundary: String = "skav-" + UUID().uuidString.lowercased()) {
        self.boundary = boundary
    }

    public mutating func addField(_ name: String, _ value: String) {
        parts.append(.field(name: name, value: value))
    }

    public mutating func addFile(_ name: String, filename: String, contentType: String, data: Data) {
        parts.append(.file(name: name, filename: filename, contentType: contentType, data: data))
    }

    /// The `Content-Type` header value, with the boundary.
    public var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// Quotes a name or file name for a `Content-Disposition` parameter: quotes and backslashes escaped,
    /// line breaks (which would end the header) replaced.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "%22"
            case "\\": out += "\\\\"
            case "\r", "\n": out += "_"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// The encoded body.
    public var body: Data {
        var out = Data()
        func line(_ text: String) { out.append(contentsOf: Array((text + "\r\n").utf8)) }
        for part in parts {
            line("--\(boundary)")
            switch part {
            case .field(let name, let value):
                line("Content-Disposition: form-data; name=\(Self.quoted(name))")
                line("")
                out.append(contentsOf: Array(value.utf8))
            case .file(let name, let filename, let contentType, let data):
                line("Content-Disposition: form-data; name=\(Self.quoted(name)); filename=\(Self.quoted(filename))")
                let type = contentType.contains(where: { $0 == "\r" || $0 == "\n" }) ? "application/octet-stream" : contentType
                line("Content-Type: \(type)")
                line("")
                out.append(data)
            }
            line("")
        }
        line("--\(boundary)--")
        return out
    }
}
