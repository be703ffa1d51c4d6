import Foundation

/// Long synchronous database work (building a digest of a large intake, planning nudges over it) run off
/// Swift's cooperative thread pool. That pool has one thread per core: on a two-core server, two such jobs
/// on it leave no thread for the receive loop, and a person's reply waits for the digest.
enum BlockingWork {
    static let queue = DispatchQueue(label: "skav.blocking-work", qos: .utility, attributes: .concurrent)

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}
