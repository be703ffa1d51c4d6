import Foundation
import Prompts

/// The repository's files, found from this source file (`Sources/SkavTesting/`): every test target reads
/// `prompts/` and `config/` the same way.
public enum Repository {
    /// The repository's root directory.
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // SkavTesting
        .deletingLastPathComponent()  // Sources
        .deletingLastPathComponent()  // repository

    /// `prompts/`: the texts Skav says.
    public static let prompts = root.appendingPathComponent("prompts", isDirectory: true)

    /// A file or directory by its path from the root, e.g. `config/skav.example.yaml`.
    public static func path(_ relative: String) -> URL { root.appendingPathComponent(relative) }
}

/// The shipped prompt catalog, loaded once for every test that needs it.
public let testPrompts: PromptCatalog = {
    do {
        return try PromptCatalog.load(directory: Repository.prompts)
    } catch {
        fatalError("the repository's prompts/ do not load: \(error)")
    }
}()

/// Loads the shipped catalog afresh (for tests that check loading itself).
public func loadPrompts() throws -> PromptCatalog { try PromptCatalog.load(directory: Repository.prompts) }
