import Testing
import Throughput

/// How offices sharing throughput servers spread over them, and what a round of attempts means for the schedule.
@Suite struct ServerOrderTests {
    let servers = (4..<10).map { "198.18.0.\($0):5201" }

    @Test func eachOfficeKeepsTheProfileOrderFromItsOwnStart() throws {
        let order = ServerOrder.rotated(servers, site: "20242")
        #expect(Set(order) == Set(servers) && order.count == servers.count)
        let start = try #require(servers.firstIndex(of: order[0]))
        #expect(order == Array(servers[start...] + servers[..<start]))
        #expect(ServerOrder.rotated(servers, site: "20242") == order, "stable from one test to the next")
        #expect(ServerOrder.rotated(["only:5201"], site: "20242") == ["only:5201"])
        #expect(ServerOrder.rotated([], site: "20242").isEmpty)
    }

    @Test func theOfficesOfTheExampleProvinceSpreadOverSixServers() {
        // 93 five-digit site codes as the example inventory numbers them.
        let sites = (0..<93).map { String(20194 + $0 * 9) }
        var first: [String: Int] = [:]
        for site in sites { first[ServerOrder.rotated(servers, site: site)[0], default: 0] += 1 }
        #expect(first.count == servers.count, "\(first)")
        // Each server is the first choice of between half and twice its fair share (93 / 6 = 15.5).
        #expect(first.values.allSatisfy { $0 >= 8 && $0 <= 31 }, "\(first)")
    }

    @Test func aRoundIsATestWhenOneServerMeasuredOrAllFailed() {
        #expect(ServerOrder.round([.busy, .failed, .measured]) == .measured)
        #expect(ServerOrder.round([.busy, .busy]) == .busy)
        // A server that answered busy proves the line; the other failing is that server's problem: try again soon.
        #expect(ServerOrder.round([.failed, .busy]) == .busy)
        #expect(ServerOrder.round([.failed, .failed]) == .failed)
    }

    @Test func busyRetryStartsAtASecondAndNeverExceedsThePoll() {
        let poll = Duration.seconds(15)
        #expect(ServerOrder.busyRetry(afterBusyRounds: 0, poll: poll, fraction: 0) == .milliseconds(500))
        #expect(ServerOrder.busyRetry(afterBusyRounds: 0, poll: poll, fraction: 1) == .seconds(1))
        #expect(ServerOrder.busyRetry(afterBusyRounds: 2, poll: poll, fraction: 1) == .seconds(4))
        #expect(ServerOrder.busyRetry(afterBusyRounds: 10, poll: poll, fraction: 1) == poll)
        #expect(ServerOrder.busyRetry(afterBusyRounds: 10, poll: poll, fraction: 0) == .milliseconds(7500))
        #expect(ServerOrder.busyRetry(afterBusyRounds: 1000, poll: .seconds(60), fraction: 1) == .seconds(60))
    }
}
