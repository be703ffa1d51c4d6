import Chat
import ChatHTTP
import Foundation
import Testing

/// Ids and cursors are percent-encoded byte by byte; Foundation's encoding with the same allowed set is the
/// reference.
@Suite struct HTTPPathTests {
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    @Test func encodesAsFoundationDoes() {
        let pieces = ["!room:kommun.se", "$event/x", "@anna:kommun.se", "s72594_4483_1934", "å", "🧑‍🍳", " ", "%", "+", "&=?#", "\u{0}", "~._-", "e\u{301}", "{\"room\":{}}"]
        var generator = SplitMix64(seed: 17)
        for _ in 0..<5_000 {
            let text = (0..<Int(generator.next() % 6)).map { _ in pieces[Int(generator.next() % UInt64(pieces.count))] }.joined()
            #expect(HTTPPath.encode(text) == text.addingPercentEncoding(withAllowedCharacters: Self.unreserved), "\(text)")
        }
        #expect(HTTPPath.encode("s72594_4483") == "s72594_4483")
        #expect(HTTPPath.encode("!a:b") == "%21a%3Ab")
    }
}
