/// Building the URLs of a chat server's HTTP API.
package enum HTTPPath {
    /// Percent-encodes everything outside RFC 3986 "unreserved" (`A-Z a-z 0-9 - . _ ~`), so ids (a Matrix
    /// room's `!a:b`, event `$x`, user `@u:hs`, transaction ids, Mattermost ids and names) are safe as one
    /// path segment or as a query value.
    package static func encode(_ text: String) -> String {
        // Byte by byte into a byte buffer; text that needs no escaping (most ids, every cursor) as it is. Every
        // request encodes its ids and the `/sync` filter: appending scalars to a String was a twentieth of
        // the instructions of a message answered.
        let utf8 = text.utf8
        guard !utf8.allSatisfy(isUnreserved) else { return text }
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count * 3)
        for byte in utf8 {
            if isUnreserved(byte) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// RFC 3986 "unreserved": `A-Z a-z 0-9 - . _ ~`.
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            true
        default: false
        }
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
