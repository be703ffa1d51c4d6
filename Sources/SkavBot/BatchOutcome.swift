import Chat
import Conversation
import CrashGuard
import Foundation
import Intake
import Logging
import Masking
import Synchronization
import Prompts
import Store

/// What one batch did.
public struct BatchOutcome: Sendable, Equatable {
    public var handled = 0
    public var duplicates = 0
    public var ignored = 0
    public var failed = 0
    /// Events set aside by the quarantine.
    public var quarantined = 0
    /// `sammanfattning` requests recorded (the digest service builds them).
    public var digestRequests = 0
    public var outboxAdded = 0
}
