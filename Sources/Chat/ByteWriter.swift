import Foundation

/// The growing buffer that the writers of stored JSON, request bodies and HTML fill: a byte, a literal or a
/// run of a string's bytes at a time. `[UInt8].append(contentsOf:)` cost about a hundred instructions a
/// call (uniqueness, capacity, the generic copy's checks) and a text of sixty spans makes several hundred
/// calls; here an append is a capacity test and a copy. Not copyable: the one owner frees the bytes.
struct ByteWriter: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = max(32, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        if count == capacity { grow(toHold: 1) }
        base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafePointer<UInt8>, count added: Int) {
        guard added > 0 else { return }
        if capacity - count < added { grow(toHold: added) }
        (base + count).initialize(from: bytes, count: added)
        count += added
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let start = bytes.baseAddress else { return }
        append(start, count: bytes.count)
    }

    /// A literal's bytes in one copy.
    @inline(__always)
    mutating func append(literal: StaticString) {
        append(literal.utf8Start, count: literal.utf8CodeUnitCount)
    }

    mutating func append(contentsOf bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append($0) }
    }

    /// A string's UTF-8 as it is.
    mutating func append(utf8 text: String) {
        var text = text
        text.withUTF8 { append($0) }
    }

    private mutating func grow(toHold added: Int) {
        let needed = count + added
        var newCapacity = capacity
        while newCapacity < needed { newCapacity = newCapacity > Int.max / 2 ? needed : newCapacity * 2 }
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        grown.initialize(from: base, count: count)
        base.deallocate()
        base = grown
        capacity = newCapacity
    }

    /// The bytes written, read in place.
    func withBytes<T>(_ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    /// The bytes as text (they are UTF-8 whenever every run appended was).
    consuming func string() -> String { withBytes { String(decoding: $0, as: UTF8.self) } }

    consuming func data() -> Data { Data(bytes: base, count: count) }
}
