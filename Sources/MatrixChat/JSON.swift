import Foundation

/// A JSON value. Decoding is total: any well-formed JSON document decodes, and every accessor returns an
/// optional, so server data can never crash the adapter.
enum JSON: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSON].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value.rounded() == value, abs(value) < 9_007_199_254_740_992 {
                try container.encode(Int64(value))
            } else {
                try container.encode(value)
            }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Parses a document; throws on anything that is not well-formed JSON.
    ///
    /// Escaped lone surrogates (`"\ud800"`) are grammatical JSON that Foundation refuses; one such string in
    /// a `/sync` answer would fail every poll from that cursor on. They are replaced with U+FFFD and the
    /// document is parsed again.
    static func parse(_ data: Data) throws -> JSON {
        do {
            return try JSONDecoder().decode(JSON.self, from: data)
        } catch {
            guard let repaired = replacingLoneSurrogates(data) else { throw error }
            return try JSONDecoder().decode(JSON.self, from: repaired)
        }
    }

    /// The document with every escaped lone surrogate replaced by `\ufffd`, or nil when it has none.
    static func replacingLoneSurrogates(_ data: Data) -> Data? {
        let bytes = [UInt8](data)
        func hexValue(at index: Int) -> Int? {
            guard index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
            else { return nil }
            var value = 0
            for byte in bytes[(index + 2)..<(index + 6)] {
                guard let digit = Int(String(Unicode.Scalar(byte)), radix: 16) else { return nil }
                value = value * 16 + digit
            }
            return value
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var changed = false
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count else {
                out.append(bytes[index])
                index += 1
                continue
            }
            guard let value = hexValue(at: index) else {
                // Any other escape: copy it whole, so an escaped backslash is never read as the start of one.
                out += bytes[index...(index + 1)]
                index += 2
                continue
            }
            if (0xD800...0xDBFF).contains(value), let low = hexValue(at: index + 6), (0xDC00...0xDFFF).contains(low) {
                out += bytes[index..<(index + 12)]
                index += 12
            } else if (0xD800...0xDFFF).contains(value) {
                out += Array("\\ufffd".utf8)
                changed = true
                index += 6
            } else {
                out += bytes[index..<(index + 6)]
                index += 6
            }
        }
        return changed ? Data(out) : nil
    }

    /// Compact JSON with sorted keys (deterministic, so tests can compare bodies).
    var encoded: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a JSON value cannot fail: every case maps to a JSON primitive or container.
        return (try? encoder.encode(self)) ?? Data("null".utf8)
    }

    var encodedString: String { String(decoding: encoded, as: UTF8.self) }

    subscript(key: String) -> JSON? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    var number: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    var array: [JSON]? {
        if case .array(let value) = self { return value }
        return nil
    }

    var object: [String: JSON]? {
        if case .object(let value) = self { return value }
        return nil
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    init(stringLiteral value: String) { self = .string(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(integerLiteral value: Int) { self = .number(Double(value)) }
    init(arrayLiteral elements: JSON...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, JSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
