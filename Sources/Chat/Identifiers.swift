/// An id a chat server gives as a string, and writes as itself: `UserID`, `RoomID`.
public protocol ChatIdentifier: RawRepresentable, CustomStringConvertible, ExpressibleByStringLiteral
where RawValue == String {
    init(rawValue: String)
}

extension ChatIdentifier {
    public init(_ rawValue: String) { self.init(rawValue: rawValue) }
    public init(stringLiteral value: String) { self.init(rawValue: value) }
    public var description: String { rawValue }
}

/// A person on a chat server: `@anna:kommun.se` on Matrix, a user id on Mattermost.
public struct UserID: ChatIdentifier, Hashable, Sendable, Codable, Comparable {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static func < (a: UserID, b: UserID) -> Bool { a.rawValue < b.rawValue }

    /// The server part of a Matrix id (`kommun.se` of `@anna:kommun.se`), or nil.
    public var domain: String? {
        guard rawValue.hasPrefix("@"), let colon = rawValue.firstIndex(of: ":") else { return nil }
        let domain = rawValue[rawValue.index(after: colon)...]
        return domain.isEmpty ? nil : String(domain)
    }
}

/// A room (Matrix) or channel (Mattermost).
public struct RoomID: ChatIdentifier, Hashable, Sendable, Codable {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}
