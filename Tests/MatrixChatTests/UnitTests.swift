import Chat
import Foundation
import SkavTesting
import Testing

@testable import MatrixChat

@Suite("Matrix building blocks")
struct UnitTests {
    @Test("path segments: everything outside unreserved is percent-encoded")
    func pathEncoding() {
        #expect(MatrixPath.encode("!room:server") == "%21room%3Aserver")
        #expect(MatrixPath.encode("$event") == "%24event")
        #expect(MatrixPath.encode("@anna:kommun.se") == "%40anna%3Akommun.se")
        #expect(MatrixPath.encode("a-b_c.d~e") == "a-b_c.d~e")
        #expect(MatrixPath.encode("a b/c?d#e&f=g+h%") == "a%20b%2Fc%3Fd%23e%26f%3Dg%2Bh%25")
        #expect(MatrixPath.encode("å") == "%C3%A5")
    }

    @Test("URL building trims the homeserver's trailing slashes")
    func urls() {
        #expect(
            MatrixPath.url(base: "https://hs.example//", path: "/sync", query: [("since", "s1 2"), ("timeout", "0")])
                == "https://hs.example/_matrix/client/v3/sync?since=s1%202&timeout=0")
    }

    @Test("JSON decoding is total over well-formed input and throws on the rest", arguments: [
        ("{}", true), ("[1,\"a\",null,true,{\"x\":-1.5e3}]", true), ("\"just a string\"", true), ("12", true),
        ("{", false), ("{\"a\":}", false), ("nul", false), ("{\"a\":\"\\ud800\"}", true), ("", false),
    ])
    func jsonTotal(input: String, ok: Bool) {
        let result = try? JSON.parse(Data(input.utf8))
        #expect((result != nil) == ok)
    }

    @Test("escaped lone surrogates become U+FFFD instead of failing the whole document")
    func loneSurrogates() throws {
        let value = try JSON.parse(Data(#"{"a":"x\ud800y","b":"\\ud800","c":"\ud83d\ude00","d":"\udc00"}"#.utf8))
        #expect(value["a"] == "x\u{FFFD}y")
        #expect(value["b"] == "\\ud800")
        #expect(value["c"] == "😀")
        #expect(value["d"] == "\u{FFFD}")
    }

    @Test("JSON keeps booleans and numbers apart and encodes integers without a fraction")
    func jsonRoundTrip() throws {
        let value = try JSON.parse(Data(#"{"a":true,"b":1,"c":1.5,"d":[false,0]}"#.utf8))
        #expect(value["a"] == .bool(true))
        #expect(value["b"] == .number(1))
        #expect(value["d"] == [false, 0])
        #expect(value.encodedString == #"{"a":true,"b":1,"c":1.5,"d":[false,0]}"#)
    }

    @Test("the configuration never prints its secrets")
    func configDescription() {
        let config = MatrixConfig(homeserver: "https://hs", userID: "@skav:hs", password: "pw-secret", accessToken: "tok-secret")
        #expect(!config.description.contains("pw-secret"))
        #expect(!config.description.contains("tok-secret"))
        #expect(config.syncRequestTimeout == .seconds(45))
    }
}
