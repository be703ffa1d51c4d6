/// A person on a chat server: `@anna:kommun.se` on Matrix, a user id on Mattermost.
public struct UserID: RawRepresentable, Hashable, Sendable, Codable, Comparable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }
    public static func < (a: UserID, b: UserID) -> Bool { a.rawValue < b.rawValue }

    /// The server part of a Matrix id (`kommun.se` of `@anna:kommun.se`), or nil.
    public var domain: String? {
        guard rawValue.hasPrefix("@"), let colon = rawValue.firstIndex(of: ":") else { return nil }
        let domain = rawValue[rawValue.index(after: colon)...]
        return domain.isEmpty ? nil : String(domain)
    }
}

/// A room (Matrix) or channel (Mattermost).
public struct RoomID: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }
}
