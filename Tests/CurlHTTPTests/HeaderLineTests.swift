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
