import Foundation
import Testing

@testable import CurlHTTP

@Suite struct HeaderLineTests {
    func parse(_ line: String) -> HeaderLine {
        Array(line.utf8).withUnsafeBytes { HeaderLine($0) }
    }

    @Test func readsTheLinesOfAResponseHead() {
        #expect(parse("HTTP/1.1 429 Too Many Requests\r\n") == .status)
        #expect(parse("HTTP/2 200\r\n") == .status)
        #expect(parse("Retry-After: 30\r\n") == .field(name: "retry-after", value: "30"))
        #expect(parse("Content-Type:application/json; charset=utf-8\r\n") == .field(name: "content-type", value: "application/json; charset=utf-8"))
        #expect(parse("  X-Odd \t:\t  a: b \t\r\n") == .field(name: "x-odd", value: "a: b"))
        #expect(parse("X-Empty:\r\n") == .field(name: "x-empty", value: ""))
        #expect(parse("X-Name: Åsa Öberg\r\n") == .field(name: "x-name", value: "Åsa Öberg"))
    }

    @Test(arguments: ["\r\n", "", "no colon here\r\n", ": value\r\n", "  :x\r\n", "\u{FF}\u{FE}"])
    func otherLinesAreNoField(line: String) {
        #expect(parse(line) == .other)
    }

    @Test func bytesThatAreNotUTF8AreReadLossilyNeverTrap() {
        let bytes: [UInt8] = [0x58, 0x3A, 0x20, 0xFF, 0xC3, 0x0D, 0x0A]
        #expect(bytes.withUnsafeBytes { HeaderLine($0) } == .field(name: "x", value: "\u{FFFD}\u{FFFD}"))
    }
}

/// A response's head as received: its lines read when a field is asked for, as the dictionary of a
/// caller's fields would answer.
@Suite struct ReceivedHeadTests {
    static func response(_ head: String) -> HTTPResponse { HTTPResponse(status: 200, head: Array(head.utf8), body: Data()) }

    @Test func fieldsAreReadFromTheLinesAsReceived() {
        let response = Self.response(
            "Content-Type: text/plain\r\nX-Multi: first\r\nx-multi: second\nRETRY-AFTER:\t 7 \r\nno colon here\r\n: nameless\r\n\r\nX-Last: end")
        #expect(response.header("content-type") == "text/plain")
        #expect(response.header("Retry-After") == "7")
        #expect(response.header("RETRY-AFTER") == "7")
        #expect(response.header("X-Multi") == "second")  // the last value wins
        #expect(response.header("X-Last") == "end")  // a last line without its line feed
        #expect(response.header("missing") == nil)
        #expect(response.headers == ["content-type": "text/plain", "x-multi": "second", "retry-after": "7", "x-last": "end"])
        #expect(response == HTTPResponse(status: 200, headers: response.headers, body: Data()))
    }

    @Test func fieldsGivenAsADictionaryAreKeptAsGiven() {
        var response = HTTPResponse(status: 429, headers: ["retry-after": " 5 ", "x": "1\nretry-after: 9"])
        #expect(response.headers == ["retry-after": " 5 ", "x": "1\nretry-after: 9"])
        #expect(response.header("Retry-After") == " 5 ")
        response.headers = ["date": "now"]
        #expect(response.header("date") == "now")
        #expect(response.header("retry-after") == nil)
    }
}
