import Foundation
import TestSupport
import Testing

/// Issue 14, item 24: every process that used net-snmp left a `sansang-netsnmp-*` directory in the temporary
/// directory (made for `init_snmp`'s `cert_indexes`, never removed).
@Suite struct NetSNMPTemporaryDirectoryTests {
    @Test func aProcessThatUsedNetSNMPLeavesNoDirectoryBehind() async throws {
        try await withTemporaryDirectory { temporary in
            let port = try freeLoopbackPort(udp: true)
            // A switch probe to a port nobody answers on: net-snmp is initialised, a session opened, a timeout.
            let run = try await runProgram("sansang-agent", [
                "probe", "switch", "--iface", "lo", "--switch", "udp:127.0.0.1:\(port)", "--community", "x", "--port-name", "lo",
                "--rate-seconds", "0", "--lang", "en",
            ], environment: ["TMPDIR": temporary.path])
            #expect(run.stdout.contains("timeout") || run.stderr.contains("timeout"), "\(run.stdout)\n\(run.stderr)")
            #expect(!run.stderr.contains("Created directory"), "\(run.stderr)")
            let left = try FileManager.default.contentsOfDirectory(atPath: temporary.path)
            #expect(left.isEmpty, "left behind in TMPDIR: \(left)")
        }
    }
}
