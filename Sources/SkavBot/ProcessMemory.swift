import Foundation

/// The process's heap as the C allocator keeps it.
enum ProcessMemory {
    /// Gives the pages of freed memory back to the system (glibc keeps them otherwise, for reuse that a
    /// one-off peak never needs again). A few milliseconds; meant for after a one-off peak.
    static func releaseFreed() {
        // glibc's `malloc_trim` (its header is not in Swift's Glibc module); nothing elsewhere.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        typealias Trim = @convention(c) (Int) -> Int32
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
    }
}

