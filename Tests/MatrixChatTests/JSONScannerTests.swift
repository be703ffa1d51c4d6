import Foundation
import Testing

@testable import Chat

@Suite("JSON scanner: the fast path reads every document as Foundation does")
struct JSONScannerTests {
    static let documents: [String] = [
        "{}", "[]", "null", "true", "false", "0", "-0", "12", "-7", "1.5", "-0.25", "123456789012345",
        "1234567890123456", "1e3", "1E-2", "-1.5e3", "1e400", "1e-400", "01", "1.", ".5", "+1", "-", "1.2.3",
        #""just a string""#, #""""#, #""a\"b\\c\/d\b\f\n\r\t""#, #""\u00e5\u0000\u001F""#, #""\ud83d\ude00""#,
        #""x\ud800y""#, #""\udc00""#, #""\ud800\ud800""#, #""\ud800\u0041""#, #""\\ud800""#, #""\uD83D\uDE00""#,
        #""\u12""#, #""\x""#, #""\u007f\u0080\u07ff\u0800\u20ac\uffff\ud7ff\ue000""#, #""\udbff\udfff""#,
        "\"tab\there\"", "\"å ä ö 😀\"", "\"e\u{301}\"",
        #"{"a":1,"a":2}"#, "{\"\u{e9}\":1,\"e\u{301}\":2}", #"{"a":{"b":[1,2,{"c":null}]},"d":"e"}"#,
        #"[1,"a",null,true,{"x":-1.5e3}]"#, " \n\t{ \"a\" : [ 1 , 2 ] } \r\n", "{", "{\"a\":}", "nul", "", " ",
        "[1,]", "{\"a\":1,}", "[1 2]", "{\"a\" 1}", "{1:2}", "[1]x", "\u{FEFF}{}", "tru", "nulls",
        #"{"type":"m.room.message","content":{"body":"hej","msgtype":"m.text"},"origin_server_ts":1800000000000,"unsigned":{"age":12}}"#,
        #"{"a":[[["x",{"y":1}]]],"b":"}}]]","c":2}"#, String(repeating: "[", count: 70) + String(repeating: "]", count: 70),
        "{\"a\":" + String(repeating: "[", count: 80) + "\"]]\"" + String(repeating: "]", count: 80) + ",\"b\":1}",
        String(repeating: "[", count: 70) + "garbage{" + String(repeating: "]", count: 71),
        String(repeating: "[", count: 70),
        // Objects kept as lists of pairs and as dictionaries (`JSONObject.listLimit`), with a key repeated at
        // the end, and one repeated in another normalization.
        "{" + (0..<16).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + "}",
        "{" + (0..<17).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + "}",
        "{" + (0..<300).map { "\"k\($0)\":[\($0)]" }.joined(separator: ",") + "}",
        "{" + (0..<15).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + ",\"k0\":1}",
        "{" + (0..<16).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + ",\"k3\":1}",
        "{" + (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + ",\"k39\":1}",
        "{" + (0..<20).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + ",\"\u{e9}\":1,\"e\u{301}\":2}",
    ]

    @Test("the scanner and Foundation agree", arguments: documents)
    func agrees(document: String) {
        let data = Data(document.utf8)
        let fast = JSONScanner.parse(data)
        let reference = try? JSON.parseWithFoundation(data)
        if let fast {
            #expect(fast == reference, "the scanner took \(document.debugDescription) and read it otherwise")
        }
        #expect((try? JSON.parse(data)) == reference)
    }

    /// A key given twice, in an object kept as pairs or as a dictionary, or twice in two normalizations:
    /// the scanner gives up and Foundation decides.
    @Test func aRepeatedKeyIsLeftToFoundation() {
        func object(_ count: Int, then extra: String) -> String {
            "{" + (0..<count).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + extra + "}"
        }
        for document in [
            #"{"a":1,"a":2}"#, object(15, then: #","k0":1"#), object(16, then: #","k15":1"#), object(40, then: #","k2":1"#),
            "{\"\u{e9}\":1,\"e\u{301}\":2}", object(20, then: ",\"\u{e9}\":1,\"e\u{301}\":2"),
            // The Kelvin sign is K in every normalization: an ASCII first byte against another one.
            "{\"K\":1,\"x\":0,\"\u{212A}\":2}", #"{"":1,"b":0,"":2}"#, #"{"state_key":1,"sender":2,"state_key":3}"#,
        ] {
            #expect(JSONScanner.parse(Data(document.utf8)) == nil, "\(document.prefix(40))")
        }
        let skipped = JSON.SkippedContent(type: "m.room.message", sender: "@bot:hs")
        let twice = #"{"content":{"a":1},"content":{"b":2},"sender":"@anna:hs","type":"m.room.message"}"#
        #expect(JSONScanner.parse(Data(twice.utf8), skipping: skipped) == nil)
        #expect(JSONScanner.parse(Data(object(16, then: "").utf8)) != nil)
        #expect(JSONScanner.parse(Data(object(17, then: "").utf8)) != nil)
        // Keys that share a first byte, or differ only there, are still told apart.
        #expect(JSONScanner.parse(Data(#"{"sender":1,"state_key":2,"s":3,"S":4,"":5}"#.utf8)) != nil)
    }

    @Test("invalid UTF-8 and raw control characters are left to Foundation")
    func invalidBytes() {
        // Truncated sequences (one of three bytes standing for one U+FFFD of three), a surrogate, an overlong
        // form, a code point past U+10FFFF, each also after an escape.
        let invalid: [[UInt8]] = [
            [0xFF], [0xC3], [0xF0, 0x9F, 0x98], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80],
            [0x61, 0xF0, 0x9F, 0x98, 0x61],
        ]
        let quote: [UInt8] = [0x22], afterEscape: [UInt8] = [0x22, 0x5C, 0x6E], afterLetter: [UInt8] = [0x22, 0xC3, 0xA5]
        var cases: [[UInt8]] = []
        for bytes in invalid {
            cases.append(quote + bytes + quote)
            cases.append(afterEscape + bytes + quote)
            cases.append(afterLetter + bytes + quote)
        }
        for valid: [UInt8] in [[0x22, 0xF0, 0x9F, 0x98, 0x80, 0x22], [0x22, 0xEF, 0xBF, 0xBD, 0x22], [0x22, 0x5C, 0x6E, 0xC3, 0xA5, 0x22]] {
            #expect(JSONScanner.parse(Data(valid)) == (try? JSON.parseWithFoundation(Data(valid))))
            #expect(JSONScanner.parse(Data(valid)) != nil)
        }
        for bytes: [UInt8] in [[0x22, 0x0A, 0x22]] + cases {
            let data = Data(bytes)
            #expect(JSONScanner.parse(data) == nil)
            #expect((try? JSON.parse(data)) == (try? JSON.parseWithFoundation(data)))
        }
    }

    @Test("the plain documents of a sync answer take the fast path")
    func fastPathTaken() {
        let event = #"{"type":"m.room.message","content":{"body":"hej","msgtype":"m.text"},"origin_server_ts":1800000000000}"#
        #expect(JSONScanner.parse(Data(event.utf8)) != nil)
        #expect(JSONScanner.parse(Data(#"{"next_batch":"s2","rooms":{"join":{}}}"#.utf8)) != nil)
    }

    @Test("every recorded fixture reads the same both ways")
    func fixtures() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }
        #expect(!names.isEmpty)
        for name in names {
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            let reference = try JSON.parseWithFoundation(data)
            #expect(JSONScanner.parse(data) == reference, "\(name)")
        }
    }

    /// Strings long enough for the scanner's word-at-a-time skip, with what ends a run (a quote, an escape, a
    /// control byte, a byte beyond ASCII, an invalid byte) at every offset within a word.
    @Test("long strings: the word-at-a-time scan reads what Foundation reads, whatever byte ends a run")
    func longStrings() {
        let pieces: [[UInt8]] = [
            Array("a".utf8), Array("abcdefgh".utf8), Array("Det tar för lång tid ".utf8), Array(#"\""#.utf8),
            Array(#"\\"#.utf8), Array(#"\n"#.utf8), Array(#"\u00e5"#.utf8), Array(#"\ud83d\ude00"#.utf8),
            Array(#"\ud800"#.utf8), Array("å".utf8), Array("😀".utf8), [0x01], [0x1F], [0x7F], [0x80], [0xFF],
            [0xC3], Array("\"".utf8), Array(" ".utf8), Array("~".utf8),
        ]
        var random = SplitMix64(seed: 2026_12_01)
        var taken = 0
        for _ in 0..<6_000 {
            var content: [UInt8] = []
            for _ in 0..<Int(random.next() % 12) { content += pieces[Int(random.next() % UInt64(pieces.count))] }
            for document in [[0x22] + content + [0x22], Array("[".utf8) + [0x22] + content + Array("\",1]".utf8)] {
                let data = Data(document)
                let reference = try? JSON.parseWithFoundation(data)
                if let fast = JSONScanner.parse(data) {
                    taken += 1
                    #expect(fast == reference, "\(document)")
                }
                #expect((try? JSON.parse(data)) == reference, "\(document)")
            }
        }
        // Most documents are well formed and take the fast path: the comparison above is not vacuous.
        #expect(taken > 3_000)
    }

    @Test("random documents: never a trap, and whatever the scanner takes Foundation reads the same")
    func randomDocuments() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array(#"{}[]":,\ u0123456789abcdefABCDEF.-+eEtrunlsfå"#.utf8) + [0x0A, 0xFF, 0xC3]
        for _ in 0..<3000 {
            let length = Int.random(in: 0..<24, using: &generator)
            let data = Data((0..<length).map { _ in alphabet.randomElement(using: &generator) ?? 0x20 })
            if let fast = JSONScanner.parse(data) {
                #expect(fast == (try? JSON.parseWithFoundation(data)), "\(Array(data))")
            }
        }
    }

    /// The bot's own messages in a `/sync`: their `content` is left out, whether it comes before their `type`
    /// and `sender` (Synapse sorts an event's keys) or after; every other object (another sender, another
    /// type, a content that is no object) reads exactly as without skipping. Seeded: the same events every run.
    @Test("skipping the bot's own contents leaves out those alone", arguments: [1, 2, 3, 4] as [UInt64])
    func skippingOwnContents(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let skipped = JSON.SkippedContent(type: "m.room.message", sender: "@skav:hs")
        var skips = 0
        for _ in 0..<200 {
            var events: [String] = []
            var expected: [JSON] = []
            for index in 0..<Int.random(in: 0...6, using: &random) {
                let type = ["m.room.message", "m.room.member", "m.room.messages"].randomElement(using: &random)!
                let sender = ["@skav:hs", "@anna:hs", "@skav:hs2"].randomElement(using: &random)!
                let content: JSON =
                    Bool.random(using: &random)
                    ? ["body": .string(String(repeating: "Hej å \"ä\" \\ }]{ ", count: Int.random(in: 0...20, using: &random))),
                        "msgtype": "m.text", "nested": ["a": [1, ["b": "}"]]]]
                    : .string("not an object")
                var members: [(String, JSON)] = [
                    ("type", .string(type)), ("sender", .string(sender)), ("event_id", .string("$e\(index)")),
                    ("content", content), ("origin_server_ts", 1_800_000_000_000),
                ]
                members.shuffle(using: &random)
                events.append("{" + members.map { "\(JSON.string($0.0).encodedString):\($0.1.encodedString)" }.joined(separator: ",") + "}")
                let leftOut = type == skipped.type && sender == skipped.sender && content.object != nil
                var fields = Dictionary(uniqueKeysWithValues: members)
                if leftOut { fields["content"] = nil }
                skips += leftOut ? 1 : 0
                expected.append(.object(fields))
            }
            let document = #"{"rooms":{"join":{"!r:hs":{"timeline":{"events":["# + events.joined(separator: ",") + "]}}}}}"
            let read = try JSON.parse(Data(document.utf8), skipping: skipped)
            #expect(read["rooms"]?["join"]?["!r:hs"]?["timeline"]?["events"] == .array(expected), "\(document)")
            // Without skipping, everything is read.
            #expect(try JSON.parse(Data(document.utf8)) == JSON.parseWithFoundation(Data(document.utf8)))
        }
        #expect(skips > 0)  // not vacuous
    }

    @Test("a skipped content is counted through, not checked: a malformed one does not fail the answer")
    func skippedContentIsNotChecked() throws {
        let skipped = JSON.SkippedContent(type: "m.room.message", sender: "@skav:hs")
        let document = #"[{"type":"m.room.message","sender":"@skav:hs","content":{"body":"\x", "n": 1e999,},"event_id":"$1"},{"type":"m.room.message","sender":"@anna:hs","content":{"body":"hej"},"event_id":"$2"}]"#
        let read = try JSON.parse(Data(document.utf8), skipping: skipped)
        #expect(read == [["type": "m.room.message", "sender": "@skav:hs", "event_id": "$1"],
            ["type": "m.room.message", "sender": "@anna:hs", "content": ["body": "hej"], "event_id": "$2"]])
        // Keys sorted as Synapse writes them (the content first): the same.
        let sorted = #"[{"content":{"body":"\x"},"event_id":"$3","sender":"@skav:hs","type":"m.room.message"}]"#
        #expect(try JSON.parse(Data(sorted.utf8), skipping: skipped) == [["event_id": "$3", "sender": "@skav:hs", "type": "m.room.message"]])
        // Someone else's malformed content is read, and fails the document as before.
        #expect(throws: (any Error).self) {
            try JSON.parse(Data(#"[{"content":{"body":"\x"},"sender":"@anna:hs","type":"m.room.message"}]"#.utf8), skipping: skipped)
        }
        // An unterminated skipped content is still no document.
        #expect(throws: (any Error).self) {
            try JSON.parse(Data(#"[{"type":"m.room.message","sender":"@skav:hs","content":{"body":"x"]"#.utf8), skipping: skipped)
        }
    }

    /// The members `JSON.SkippedContent` names: an object or array under such a key is left out of every
    /// object, at any depth; a plain value under it, and every other member, read as without skipping.
    /// Seeded: the same values every run (the keys' order in the bytes follows Swift's hashing, which each
    /// process seeds anew).
    @Test("skipped members are left out wherever they are, and nothing else", arguments: [5, 6, 7] as [UInt64])
    func skippingMembers(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let skipped = JSON.SkippedContent(type: "m.room.message", sender: "@skav:hs", members: ["ephemeral", "account_data"])
        let keys = ["ephemeral", "account_data", "timeline", "events", "a", "ephemera", "account_datas", "Ephemeral"]
        var leftOut = 0
        func value(_ depth: Int) -> JSON {
            switch depth > 3 ? Int(random.next() % 3) : Int(random.next() % 6) {
            case 0: return .string(["x", "}]{[", #"\"]"#, "ä"].randomElement(using: &random)!)
            case 1: return .number(Double(random.next() % 100))
            case 2: return .null
            case 3: return .array((0..<Int(random.next() % 3)).map { _ in value(depth + 1) })
            default:
                var members: [String: JSON] = [:]
                for _ in 0..<Int(random.next() % 4) { members[keys.randomElement(using: &random)!] = value(depth + 1) }
                return .object(JSONObject(members))
            }
        }
        func expected(_ json: JSON) -> JSON {
            switch json {
            case .array(let values): return .array(values.map(expected))
            case .object(let object):
                var kept: [String: JSON] = [:]
                for (key, member) in object {
                    if skipped.members.contains(key), member.array != nil || member.object != nil {
                        leftOut += 1
                    } else {
                        kept[key] = expected(member)
                    }
                }
                return .object(JSONObject(kept))
            default: return json
            }
        }
        for _ in 0..<300 {
            let document = value(0)
            let data = Data(document.encoded)
            #expect(try JSON.parse(data, skipping: skipped) == expected(document), "\(document.encodedString)")
            #expect(try JSON.parse(data) == document)
        }
        #expect(leftOut > 20)  // not vacuous
        // Passed over, not checked: a malformed skipped member does not fail the document.
        let malformed = #"{"ephemeral":{"events":[1e999, "\x", ]},"b":[{"account_data":[01, tru]}],"c":1}"#
        #expect(try JSON.parse(Data(malformed.utf8), skipping: skipped) == ["b": [[:]], "c": 1])
        #expect(throws: (any Error).self) { try JSON.parse(Data(#"{"ephemeral":{"events":["#.utf8), skipping: skipped) }
    }
}
