import Chat
import Foundation

/// A person's session as the store keeps it, written and read by hand: the JSON that `JSONEncoder` (sorted
/// keys, slashes unescaped) writes for the `Codable` session, and the session that `JSONDecoder` reads from
/// it, for any text either wrote (`SessionStoredTests` holds both to Foundation's). The encoder and the
/// decoder were about a twentieth of the instructions of a message answered.
extension ConversationSession {
    /// Why a stored session could not be read; the engine then starts the person afresh.
    package struct Unreadable: Error, CustomStringConvertible {
        package var description: String
    }

    package var storedJSON: Data {
        var fields: [String: JSON] = [
            "phase": Self.json(phase),
            "undo": .array(
                undo.map { step in
                    var fields: [String: JSON] = ["part": .number(Double(step.part.rawValue)), "phase": Self.json(step.phase)]
                    if let previous = step.previous { fields["previous"] = .string(previous) }
                    return .object(fields)
                }),
        ]
        if let draftNumber { fields["draftNumber"] = .number(Double(draftNumber)) }
        if let forgetAskedAt { fields["forgetAskedAt"] = .number(forgetAskedAt.timeIntervalSinceReferenceDate) }
        return JSON.object(fields).encoded
    }

    package init(storedJSON data: Data) throws {
        guard case .object(let fields) = try JSON.parse(data) else { throw Unreadable(description: "the session is not an object") }
        self.init(phase: try Self.phase(fields["phase"]), draftNumber: try Self.optionalInt(fields["draftNumber"], "draftNumber"))
        guard case .array(let steps) = fields["undo"] else { throw Unreadable(description: "undo is not a list") }
        undo = try steps.map { step in
            guard case .object(let fields) = step else { throw Unreadable(description: "an undo step is not an object") }
            let previous: String?
            switch fields["previous"] {
            case nil, .null?: previous = nil
            case .string(let text)?: previous = text
            default: throw Unreadable(description: "an undo step's previous value is not text")
            }
            return UndoStep(part: try Self.part(fields["part"]), previous: previous, phase: try Self.phase(fields["phase"]))
        }
        switch fields["forgetAskedAt"] {
        case nil, .null?: forgetAskedAt = nil
        case .number(let seconds)? where seconds.isFinite: forgetAskedAt = Date(timeIntervalSinceReferenceDate: seconds)
        default: throw Unreadable(description: "forgetAskedAt is not a finite number")
        }
    }

    /// A phase as Swift's synthesized `Codable` writes an enum: one key, the case, holding its values.
    private static func json(_ phase: Phase) -> JSON {
        switch phase {
        case .idle: ["idle": [:]]
        case .asking(let part): ["asking": ["_0": .number(Double(part.rawValue))]]
        case .editing(let part): ["editing": ["_0": .number(Double(part.rawValue))]]
        case .reviewing: ["reviewing": [:]]
        case .askingUnit: ["askingUnit": [:]]
        }
    }

    private static func phase(_ json: JSON?) throws -> Phase {
        guard case .object(let cases)? = json, cases.count == 1, let (name, values) = cases.first else {
            throw Unreadable(description: "a phase is not an object of one case")
        }
        func part() throws -> Part {
            guard case .object(let fields) = values else { throw Unreadable(description: "the phase \(name) holds no part") }
            return try Self.part(fields["_0"])
        }
        switch name {
        case "idle": return .idle
        case "asking": return .asking(try part())
        case "editing": return .editing(try part())
        case "reviewing": return .reviewing
        case "askingUnit": return .askingUnit
        default: throw Unreadable(description: "unknown phase")
        }
    }

    private static func part(_ json: JSON?) throws -> Part {
        guard let number = try optionalInt(json, "part"), let part = Part(rawValue: number) else {
            throw Unreadable(description: "a part is not one of the draft's")
        }
        return part
    }

    /// A whole number that fits an `Int`, as `JSONDecoder` reads one; nil when absent or null.
    private static func optionalInt(_ json: JSON?, _ name: String) throws -> Int? {
        switch json {
        case nil, .null?: return nil
        case .number(let value)?:
            guard value.rounded() == value, abs(value) < 9_007_199_254_740_992 else {
                throw Unreadable(description: "\(name) is not a whole number")
            }
            return Int(value)
        default: throw Unreadable(description: "\(name) is not a number")
        }
    }
}
