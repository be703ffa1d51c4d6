/// Building client-server API URLs.
enum MatrixPath {
    /// Percent-encodes everything outside RFC 3986 "unreserved" (`A-Z a-z 0-9 - . _ ~`), so room ids
    /// (`!a:b`), event ids (`$x`), user ids (`@u:hs`) and transaction ids are safe as one path segment
    /// or as a query value.
    static func encode(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 0x0F)])
            }
        }
        return out
    }

    static let clientAPI = "/_matrix/client/v3"
    static let mediaAPI = "/_matrix/media/v3"

    /// `base` + the API prefix (`/_matrix/client/v3` unless given) + `path` + the encoded query.
    static func url(base: String, path: String, query: [(String, String)], api: String = clientAPI) -> String {
        var base = base
        while base.hasSuffix("/") { base.removeLast() }
        var url = base + api + path
        if !query.isEmpty {
            url += "?" + query.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
        }
        return url
    }
}
