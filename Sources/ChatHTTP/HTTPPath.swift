/// Building the URLs of a chat server's HTTP API.
package enum HTTPPath {
    /// Percent-encodes everything outside RFC 3986 "unreserved" (`A-Z a-z 0-9 - . _ ~`), so ids (a Matrix
    /// room's `!a:b`, event `$x`, user `@u:hs`, transaction ids, Mattermost ids and names) are safe as one
    /// path segment or as a query value.
    package static func encode(_ text: String) -> String {
        // Over the string's own UTF-8, into a string's storage made once at the length it needs: the text as
        // it is when nothing needs escaping (most ids, every cursor). Every request encodes its ids and the
        // `/sync` filter: appending scalars to a String was a twentieth of a message's instructions, and
        // the UTF-8 view and a growing byte array still 3,500 instructions a room id.
        var text = text
        return text.withUTF8 { bytes -> String? in
            var escaped = 0
            for byte in bytes where !isUnreserved(byte) { escaped += 1 }
            guard escaped > 0 else { return nil }
            let hex: StaticString = "0123456789ABCDEF"
            return String(unsafeUninitializedCapacity: bytes.count + 2 * escaped) { out in
                hex.withUTF8Buffer { hex in
                    var at = 0
                    for byte in bytes {
                        if isUnreserved(byte) {
                            out[at] = byte
                            at += 1
                        } else {
                            out[at] = UInt8(ascii: "%")
                            out[at + 1] = hex[Int(byte >> 4)]
                            out[at + 2] = hex[Int(byte & 0x0F)]
                            at += 3
                        }
                    }
                    return at
                }
            }
        } ?? text
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
