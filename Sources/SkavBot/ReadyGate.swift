import Chat
import Conversation
import CrashGuard
import CurlHTTP
import Foundation
import Intake
import Logging
import MatrixChat
import ServiceLifecycle
import Synchronization
import Prompts
import Store
import Configuration

/// Opens once the bot is connected; the sender waits for it before sending anything.
public final class ReadyGate: Sendable {
    private let isOpen = Mutex(false)
    private let signal = WakeSignal()

    public init() {}

    public func open() {
        isOpen.withLock { $0 = true }
        signal.wake()
    }

    public var opened: Bool { isOpen.withLock { $0 } }

    /// Returns when open or when the task is cancelled.
    public func wait() async {
        while !opened && !Task.isCancelled {
            await signal.wait(for: .seconds(1))
        }
    }
}
