import Foundation
import Testing
import TestSupport

/// `sansang-agent probe throughput` against a real `iperf3 -s`.
@Suite(.serialized) struct ProbeThroughputCommandTests {
    @Test func textSummaryAndJSONCarryTheSameNumbers() async throws {
        try await withTemporaryDirectory { directory in
            try await withIperfServer(directory: directory) { server in
                let text = try await runProgram("sansang-agent", ["probe", "throughput", "--server", "127.0.0.1:\(server.port)",
                                                            "--duration", "1", "--parallel", "2", "--reverse"])
                #expect(text.status == 0, "\(text.stderr)")
                #expect(text.stdout.contains("[SUM]"))
                #expect(text.stdout.contains("sender") && text.stdout.contains("receiver"))
                #expect(text.stdout.contains("Gbits/sec") || text.stdout.contains("Mbits/sec"))

                let json = try await runProgram("sansang-agent", ["probe", "throughput", "--server", "127.0.0.1:\(server.port)",
                                                            "--duration", "1", "--parallel", "1", "--json"])
                #expect(json.status == 0, "\(json.stderr)")
                let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
                let measurement = object?["measurement"] as? [String: Any]
                let mbps = measurement?["mbps"] as? [String: Any]
                #expect(((mbps?["upload"] as? NSNumber)?.doubleValue ?? 0) > 10)
                let result = object?["result"] as? [String: Any]
                let upload = result?["upload"] as? [String: Any]
                let receiverBytes = (upload?["receiver_bytes"] as? NSNumber)?.doubleValue ?? 0
                let seconds = (upload?["seconds"] as? NSNumber)?.doubleValue ?? 1
                let expected = receiverBytes * 8 / seconds / 1e6
                #expect(abs(((mbps?["upload"] as? NSNumber)?.doubleValue ?? 0) - expected) < 0.001 * expected)
            }
        }
    }

    @Test func aFailedTestExitsOneWithItsReasonCode() async throws {
        let port = try freeLoopbackPort(udp: false)
        let run = try await runProgram("sansang-agent", ["probe", "throughput", "--server", "127.0.0.1:\(port)", "--json"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("refused"))
        #expect(run.stdout.contains("\"code\" : \"refused\""))
    }

    @Test func usageErrorsExitTwo() async throws {
        let run = try await runProgram("sansang-agent", ["probe", "throughput", "--server", "h", "--parallel", "17"])
        #expect(run.status == 2, "\(run.stderr)")
        let both = try await runProgram("sansang-agent", ["probe", "throughput", "--server", "h", "--reverse", "--bidir"])
        #expect(both.status == 2)
    }
}
