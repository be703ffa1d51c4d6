import Conversation
import Foundation

/// `prompts/` of this repository.
let repositoryPrompts = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("prompts", isDirectory: true)

func loadPrompts() throws -> PromptCatalog { try PromptCatalog.load(directory: repositoryPrompts) }
