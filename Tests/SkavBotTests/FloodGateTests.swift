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

    /// 30,000 people writing within one window (a Monday morning): quiet people are forgotten a few times,
    /// not on every message once 10,000 are tracked; and those who went quiet are forgotten.
    @Test func manyPeopleWithinAWindowAreNotPassedOverForEveryMessage() {
        let gate = FloodGate(limit: .init(maxMessages: 20, window: 60))
        for index in 0..<30_000 {
            #expect(gate.check(UserID(rawValue: "@p\(index):hs"), at: start.addingTimeInterval(Double(index) / 1_000)) == .accept)
        }
        // One pass at 10,001 people (none quiet yet), the next at 20,003: two, not 20,000.
        #expect(gate.prunes == 2, "\(gate.prunes) passes over the map")
        #expect(gate.tracked == 30_000)
        // A window later they are all quiet: the next pass forgets them, however many the map held.
        let later = start.addingTimeInterval(120)
        // The third pass comes when the map has doubled since the second (past 40,006 people).
        for index in 0..<10_007 { _ = gate.check(UserID(rawValue: "@q\(index):hs"), at: later.addingTimeInterval(Double(index) / 1_000)) }
        #expect(gate.prunes == 3)
        #expect(gate.tracked == 10_007, "the quiet 30,000 forgotten")
    }
}
