import Chat
import Conversation
import Foundation
import Intake
import Logging
import ServiceLifecycle
import Prompts
import Store

/// What happened to one due nudge in a scheduler pass.
public struct NudgeLogLine: Sendable, Equatable {
    public var at: Date
    public var kind: Nudge.Kind
    public var recipient: UserID
    public var ideaNumber: Int?
    public var outcome: Nudge.Outcome
}
