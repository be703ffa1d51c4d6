import Chat
import Foundation
import SkavTesting
import Testing

@testable import SkavBot

@Suite struct FloodGateTests {
    let start = EngineHarness.start

    @Test func underTheLimitEverythingIsAccepted() {
        let gate = FloodGate(limit: .init(maxMessages: 3, window: 10))
        let verdicts = (0..<3).map { gate.check("@a:hs", at: start.addingTimeInterval(Double($0))) }
        #expect(verdicts == [.accept, .accept, .accept])
    }

    @Test func oneNoticePerEpisodeAndPeopleAreCountedApart() {
        let gate = FloodGate(limit: .init(maxMessages: 3, window: 10))
        let verdicts = (0..<6).map { gate.check("@a:hs", at: start.addingTimeInterval(Double($0) / 10)) }
        #expect(verdicts == [.accept, .accept, .accept, .notify, .drop, .drop])
        #expect(gate.check("@b:hs", at: start) == .accept, "someone else is not affected")
    }

    @Test func theNoticeComesAgainOnlyAfterThePaceHasDropped() {
        let gate = FloodGate(limit: .init(maxMessages: 4, window: 10))
        for index in 0..<5 { _ = gate.check("@a:hs", at: start.addingTimeInterval(Double(index))) }
        // Eleven seconds later most of the burst has left the window: accepted, and the episode is over.
        #expect(gate.check("@a:hs", at: start.addingTimeInterval(13)) == .accept)
        for index in 0..<2 { _ = gate.check("@a:hs", at: start.addingTimeInterval(13.1 + Double(index) / 10)) }
        #expect(gate.check("@a:hs", at: start.addingTimeInterval(13.5)) == .notify, "a new flood is a new episode")
    }

    @Test func aSteadyPaceAtTheLimitIsNeverCut() {
        let gate = FloodGate(limit: .init(maxMessages: 5, window: 10))
        let verdicts = (0..<100).map { gate.check("@a:hs", at: start.addingTimeInterval(Double($0) * 2.01)) }
        #expect(verdicts.allSatisfy { $0 == .accept })
    }
}
