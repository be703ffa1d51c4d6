import Foundation
import Testing

@testable import Chat

/// A JSON object's members as a list of pairs (small objects) or a dictionary (larger ones): the same
/// members, look-ups and equality either way.
@Suite struct JSONObjectTests {
    static func members(_ count: Int) -> [String: JSON] {
        Dictionary(uniqueKeysWithValues: (0..<count).map { ("k\($0)", JSON.number(Double($0))) })
    }

    @Test(arguments: [0, 1, 5, JSONObject.listLimit, JSONObject.listLimit + 1, 200])
    func holdsWhatItWasGiven(count: Int) {
        let dictionary = Self.members(count)
        let object = JSONObject(dictionary)
        #expect(object.count == count)
        #expect(object.isEmpty == (count == 0))
        #expect(object.dictionary == dictionary)
        #expect(Set(object.keys) == Set(dictionary.keys))
        for (key, value) in dictionary { #expect(object[key] == value) }
        #expect(object["missing"] == nil)
        #expect(object["k0"] == (count > 0 ? .number(0) : nil))
        var seen: [String: JSON] = [:]
        for (key, value) in object { seen[key] = value }
        #expect(seen == dictionary)
        #expect(object.first.map { dictionary[$0.key] == $0.value } ?? (count == 0))
    }

    @Test func changesGrowAndShrinkItAcrossTheListLimit() {
        var object = JSONObject()
        var reference: [String: JSON] = [:]
        var random = SplitMix64(seed: 42)
        for step in 0..<2_000 {
            let key = "k\(random.next() % 40)"
            let value: JSON? = random.next() % 3 == 0 ? nil : .number(Double(step))
            object[key] = value
            reference[key] = value
            #expect(object.count == reference.count)
            #expect(object == JSONObject(reference))
            #expect(object[key] == value)
        }
    }

    @Test func equalityIgnoresTheOrderOfTheMembers() {
        let a: JSONObject = ["x": 1, "y": "two", "z": [true, .null]]
        let b: JSONObject = ["z": [true, .null], "x": 1, "y": "two"]
        #expect(a == b)
        #expect(a != ["x": 1, "y": "two"])
        #expect(a != ["x": 1, "y": "two", "z": [false]])
        #expect(JSONObject(Self.members(30)) == JSONObject(Self.members(30)))
        #expect(JSONObject(Self.members(30)) != JSONObject(Self.members(31)))
        // A key given twice in a literal keeps its last value, as a dictionary's would.
        let twice: JSONObject = ["a": 1, "a": 2]
        #expect(twice.count == 1 && twice["a"] == 2)
    }

    @Test func keysCompareAsSwiftStringsDo() {
        let object: JSONObject = ["\u{e9}": 1]
        #expect(object["e\u{301}"] == 1)
    }

    @Test(arguments: [3, JSONObject.listLimit + 5])
    func encodesAndDecodesAsADictionary(count: Int) throws {
        let json = JSON.object(Self.members(count))
        let data = try JSONEncoder().encode(json)
        #expect(try JSONDecoder().decode(JSON.self, from: data) == json)
        #expect(try JSON.parse(json.encoded) == json)
    }
}
