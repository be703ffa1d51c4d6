/// A problem in the configuration, naming the key.
public struct ConfigError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The dotted key (`matrix.homeserver`), or "" for the file as a whole.
    public var key: String
    public var problem: String
    /// Where in the file, when known ("line 4").
    public var location: String?

    public init(key: String, problem: String, location: String? = nil) {
        self.key = key
        self.problem = problem
        self.location = location
    }

    public var description: String {
        let place = location.map { " (\($0))" } ?? ""
        return key.isEmpty ? "config: \(problem)\(place)" : "config key '\(key)'\(place): \(problem)"
    }
}
