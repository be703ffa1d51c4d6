/// The members of a JSON object: each key once (keys compare as Swift strings do, by canonical equivalence).
///
/// Most objects a chat server sends are small (an event has five to eight members) and are read a few
/// times, by keys known in advance. A list of pairs searched in order costs a few string comparisons a look-up
/// and one allocation an object, where a dictionary hashed every key as it was read and as it was looked up
/// (about a twentieth of a burst message's instructions, with the dictionaries' allocations and releases).
/// Objects with more than `listLimit` members (the rooms of a first `/sync`, say) are kept in a dictionary,
/// so no look-up is ever linear in a large object. Equality does not depend on the order of the members.
package struct JSONObject: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    package typealias Element = (key: String, value: JSON)

    private enum Storage: Sendable {
        /// At most `listLimit` members, in the order they were read or added.
        case list([Element])
        /// More than `listLimit` members.
        case table([String: JSON])
    }

    private var storage: Storage

    /// The most members kept as a list.
    package static let listLimit = 16

    package init() { storage = .list([]) }

    /// The members of `dictionary`.
    package init(_ dictionary: [String: JSON]) {
        storage = dictionary.count <= Self.listLimit ? .list(Array(dictionary.lazy.map { ($0.key, $0.value) })) : .table(dictionary)
    }

    /// `members`, whose keys the caller knows to be distinct (the JSON scanner checks them), in their order.
    init(distinct members: [Element]) {
        storage = members.count <= Self.listLimit ? .list(members) : .table(Self.table(members))
    }

    /// A key given twice keeps its last value.
    package init(dictionaryLiteral elements: (String, JSON)...) {
        self.init()
        for (key, value) in elements { self[key] = value }
    }

    package subscript(key: String) -> JSON? {
        get {
            switch storage {
            case .list(let members):
                for member in members where member.key == key { return member.value }
                return nil
            case .table(let table):
                return table[key]
            }
        }
        set {
            switch storage {
            case .list(var members):
                storage = .list([])  // `members` the only reference while it changes
                if let position = members.firstIndex(where: { $0.key == key }) {
                    if let newValue { members[position].value = newValue } else { members.remove(at: position) }
                } else if let newValue {
                    members.append((key, newValue))
                }
                storage = members.count <= Self.listLimit ? .list(members) : .table(Self.table(members))
            case .table(var table):
                storage = .list([])
                table[key] = newValue
                storage = .table(table)
            }
        }
    }

    package var count: Int {
        switch storage {
        case .list(let members): members.count
        case .table(let table): table.count
        }
    }

    package var isEmpty: Bool { count == 0 }

    /// The first member (of an object of one member: its only one).
    package var first: Element? {
        var iterator = makeIterator()
        return iterator.next()
    }

    package var keys: [String] { map(\.key) }

    package var values: [JSON] { map(\.value) }

    /// The members as a dictionary.
    package var dictionary: [String: JSON] {
        switch storage {
        case .list(let members): Self.table(members)
        case .table(let table): table
        }
    }

    package func makeIterator() -> Iterator {
        switch storage {
        case .list(let members): Iterator(list: members.makeIterator(), table: nil)
        case .table(let table): Iterator(list: nil, table: table.makeIterator())
        }
    }

    package struct Iterator: IteratorProtocol {
        fileprivate var list: IndexingIterator<[Element]>?
        fileprivate var table: Dictionary<String, JSON>.Iterator?

        package mutating func next() -> Element? {
            if var members = list {
                defer { list = members }
                return members.next()
            }
            return table?.next().map { ($0.key, $0.value) }
        }
    }

    package static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if case .table(let left) = lhs.storage, case .table(let right) = rhs.storage { return left == right }
        return lhs.allSatisfy { rhs[$0.key] == $0.value }
    }

    private static func table(_ members: [Element]) -> [String: JSON] {
        Dictionary(members.lazy.map { ($0.key, $0.value) }) { _, last in last }
    }
}

extension JSONObject: Codable {
    package init(from decoder: any Decoder) throws {
        self.init(try [String: JSON](from: decoder))
    }

    package func encode(to encoder: any Encoder) throws {
        try dictionary.encode(to: encoder)
    }
}
