/// The languages Skav speaks. Swedish is the default and the fallback for a text missing in another language.
public enum Language: String, Codable, Sendable, CaseIterable {
    case sv, en
}
