import ServiceLifecycle
import ServiceLifecycleTestKit

/// Runs `service` under the service lifecycle's test trigger: once `running` returns, a graceful shutdown
/// is triggered (as SIGTERM would), and the service's own ending is awaited and returned.
public func runThenShutDownGracefully(
    _ service: some Service, running: @Sendable () async throws -> Void = {}
) async throws {
    try await testGracefulShutdown { trigger in
        let task = Task { try await service.run() }
        do {
            try await running()
        } catch {
            task.cancel()
            throw error
        }
        trigger.triggerGracefulShutdown()
        try await task.value
    }
}
