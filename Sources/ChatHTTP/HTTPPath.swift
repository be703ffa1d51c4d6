/// Building the URLs of a chat server's HTTP API.
package enum HTTPPath {
    /// Percent-encodes everything outside RFC 3986 "unreserved" (`A-Z a-z 0-9 - . _ ~`), so ids (a Matrix
    /// room's `!a:b`, event `$x`, user `@u:hs`, transaction ids, Mattermost ids and names) are safe as one
    /// path segment or as a query value.
    package static func encode(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        let hex = Array("0123456789ABCDEF".unicodeScalars)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 0x0F)])
            }
        }
        return out
    }

    /// `base` (trailing slashes dropped) + the API prefix + `path` + the encoded query.
    package static func url(base: String, api: String, path: String, query: [(String, String)]) -> String {
        var base = base
        while base.hasSuffix("/") { base.removeLast() }
        var url = base + api + path
        if !query.isEmpty {
            url += "?" + query.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
        }
        return url
    }
}
