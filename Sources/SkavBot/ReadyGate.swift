import Synchronization

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

    /// How many tasks wait for it now (for tests that must know a wait has begun).
    package var waiting: Int { signal.waiting }

    /// Returns when open or when the task is cancelled.
    public func wait() async {
        while !opened && !Task.isCancelled {
            await signal.wait(for: .seconds(1))
        }
    }
}
