/// One line of a response head, as libcurl hands it over (its CR LF included): read byte by byte, without
/// Foundation's `trimmingCharacters` (a tenth of the bot's instructions went to trimming header lines).
enum HeaderLine: Equatable {
    /// "HTTP/1.1 200 OK": a new response head starts (after a 1xx, say).
    case status
    /// `name: value`, the name in lower case, both without the blanks around them.
    case field(name: String, value: String)
    /// Anything else: the blank line that ends the head, a line without a colon.
    case other

    init(_ bytes: UnsafeRawBufferPointer) {
        if Self.isStatus(bytes) {
            self = .status
        } else if let (name, value) = Self.field(bytes) {
            self = .field(name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
        } else {
            self = .other
        }
    }

    /// Whether the line starts a response head ("HTTP/1.1 200 OK").
    static func isStatus(_ bytes: UnsafeRawBufferPointer) -> Bool { bytes.starts(with: "HTTP/".utf8) }

    /// A field line's name in lower case and its value, both without the blanks around them; nil for any
    /// other line (a status line, the blank line, a line without a colon or without a name).
    static func field(_ bytes: UnsafeRawBufferPointer) -> (name: [UInt8], value: Slice<UnsafeRawBufferPointer>)? {
        guard !isStatus(bytes), let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        let name = Self.trimmed(bytes[..<colon]).map { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
        }
        guard !name.isEmpty else { return nil }
        return (name, Self.trimmed(bytes[(colon + 1)...]))
    }

    /// Without spaces, tabs, CR, LF, vertical tabs and form feeds at either end.
    static func trimmed(_ bytes: Slice<UnsafeRawBufferPointer>) -> Slice<UnsafeRawBufferPointer> {
        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
        var start = bytes.startIndex, end = bytes.endIndex
        while start < end, isBlank(bytes[start]) { start += 1 }
        while end > start, isBlank(bytes[end - 1]) { end -= 1 }
        return bytes[start..<end]
    }
}
