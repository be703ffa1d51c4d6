/// Splits long texts into messages the chat servers take.
public enum MessageSplitter {
    /// Characters per message: fits Mattermost (16,383) and, in UTF-8, Matrix's 64 KiB event.
    public static let characterLimit = 12_000
    /// UTF-8 bytes per message, so escaping in the server's JSON envelope stays far below 64 KiB.
    public static let byteLimit = 12_000

    /// Splits `text` into parts of at most `characters` characters and `bytes` UTF-8 bytes, at line
    /// ends where possible (a longer line is cut between characters). Joined, the parts give `text`.
    public static func split(_ text: String, characters: Int = characterLimit, bytes: Int = byteLimit) -> [String] {
        var parts: [String] = []
        var current = ""
        var currentCount = 0
        var currentBytes = 0
        func flush() {
            if !current.isEmpty { parts.append(current) }
            current = ""
            currentCount = 0
            currentBytes = 0
        }
        func add(_ piece: Substring) {
            let count = piece.count
            let size = piece.utf8.count
            if currentCount + count > characters || currentBytes + size > bytes { flush() }
            if count <= characters && size <= bytes {
                current += piece
                currentCount += count
                currentBytes += size
                return
            }
            for character in piece {
                let length = character.utf8.count
                if currentCount + 1 > characters || currentBytes + length > bytes { flush() }
                current.append(character)
                currentCount += 1
                currentBytes += length
            }
        }
        var start = text.startIndex
        while start < text.endIndex {
            let end = text[start...].firstIndex(of: "\n").map { text.index(after: $0) } ?? text.endIndex
            add(text[start..<end])
            start = end
        }
        flush()
        return parts
    }
}
