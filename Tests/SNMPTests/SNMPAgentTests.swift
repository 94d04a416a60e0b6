import Foundation
import SNMP
import Testing
import TestSupport

/// Against a real snmpd (one per suite; the tests run in parallel against it).
@Suite(.withTestAgent) struct SNMPAgentTests {
    // MARK: v2c

    @Test func getsSystemScalarsOverV2c() async throws {
        let agent = try TestAgent.shared
        let values = try await withSNMPSession(agent.v2c()) { session in
            try await session.get([MIB.sysName0, MIB.sysLocation0, MIB.sysObjectID0, MIB.sysUpTime0])
        }
        #expect(values.map(\.oid) == [MIB.sysName0, MIB.sysLocation0, MIB.sysObjectID0, MIB.sysUpTime0])
        #expect(values[0].value == .octetString(Array(agent.sysName.utf8)))
        #expect(values[0].value.string == agent.sysName)
        // Multi-byte UTF-8, decoded by length, not up to a NUL.
        #expect(values[1].value.string == agent.sysLocation)
        #expect(values[2].value == .objectIdentifier(MIB.netSnmpLinux))
        guard case .timeticks(let uptime) = values[3].value else {
            Issue.record("sysUpTime is \(values[3].value)")
            return
        }
        #expect(uptime < 60 * 60 * 100, "snmpd was started by this suite")
    }

    @Test func timeticksAdvance() async throws {
        let agent = try TestAgent.shared
        try await withSNMPSession(agent.v2c()) { session in
            let first = try await session.get([MIB.sysUpTime0])
            try await Task.sleep(for: .milliseconds(300))
            let second = try await session.get([MIB.sysUpTime0])
            guard case .timeticks(let before) = first[0].value, case .timeticks(let after) = second[0].value else {
                Issue.record("not timeticks: \(first), \(second)")
                return
            }
            #expect(after >= before + 20, "300 ms is 30 hundredths; snmpd caches uptime briefly")
        }
    }

    @Test func overriddenHighSpeedIsAGauge() async throws {
        let agent = try TestAgent.shared
        let values = try await withSNMPSession(agent.v2c()) { session in
            try await session.get([MIB.ifHighSpeed.appending(agent.loopbackIndex)])
        }
        #expect(values.first?.value == .gauge32(TestAgent.overriddenHighSpeed))
    }

    @Test func counter64OfLoopbackOctets() async throws {
        let agent = try TestAgent.shared
        let values = try await withSNMPSession(agent.v2c()) { session in
            // One request, so both come from the same snapshot of snmpd's interface cache.
            try await session.get([MIB.ifHCInOctets.appending(agent.loopbackIndex), MIB.ifInOctets.appending(agent.loopbackIndex)])
        }
        guard values.count == 2, case .counter64(let octets) = values[0].value, case .counter32(let low) = values[1].value else {
            Issue.record("not Counter64 and Counter32: \(values)")
            return
        }
        // Our own requests cross lo, and the 32-bit counter is the low half of the 64-bit one.
        #expect(octets > 0)
        #expect(UInt32(truncatingIfNeeded: octets) == low)
    }

    @Test func ipAddressOfLoopback() async throws {
        let agent = try TestAgent.shared
        try await withSNMPSession(agent.v2c()) { session in
            let values = try await session.get([MIB.ipAdEntAddr.appending(127, 0, 0, 1)])
            guard case .ipAddress(let address) = values.first?.value else {
                Issue.record("not an IpAddress: \(values)")
                return
            }
            #expect(address.octets == [127, 0, 0, 1])
            #expect(address.description == "127.0.0.1")
            let table = try await session.walk(MIB.ipAdEntAddr)
            #expect(table.contains { $0.value == values[0].value })
        }
    }

    @Test func exceptionValues() async throws {
        let agent = try TestAgent.shared
        try await withSNMPSession(agent.v2c()) { session in
            let got = try await session.get([try OID("1.3.6.1.4.1.99999.1.0"), try MIB.sysName.appending(1)])
            #expect(got.map(\.value) == [.noSuchObject, .noSuchInstance])
            #expect(got.allSatisfy { $0.value.isException })
            // Nothing is implemented under joint-iso-itu-t (2): GETNEXT runs off the end of the view.
            let next = try await session.getNext([try OID("2.0")])
            #expect(next.map(\.value) == [.endOfMibView])
            #expect(try await session.walk(try OID("2.0")).isEmpty)
        }
    }

    @Test func getNextReturnsTheFollowingInstance() async throws {
        let agent = try TestAgent.shared
        let values = try await withSNMPSession(agent.v2c()) { session in
            try await session.getNext([MIB.sysName, MIB.sysName0])
        }
        #expect(values.map(\.oid) == [MIB.sysName0, MIB.sysLocation0])
        #expect(values.map(\.value.string) == [agent.sysName, agent.sysLocation])
    }

    @Test func getBulkWithAndWithoutNonRepeaters() async throws {
        let agent = try TestAgent.shared
        try await withSNMPSession(agent.v2c()) { session in
            let rows = try await session.getBulk([MIB.system], maxRepetitions: 3)
            #expect(rows.map(\.oid) == [MIB.sysDescr0, MIB.sysObjectID0, MIB.sysUpTime0])
            #expect(rows.first?.value.string?.contains("Linux") == true)

            let mixed = try await session.getBulk([MIB.sysContact, MIB.ifIndex], nonRepeaters: 1, maxRepetitions: 2)
            #expect(mixed.count == 3)
            #expect(mixed.first?.oid == (try MIB.sysContact.appending(0)))
            #expect(mixed.first?.value.string == "noc@example.invalid")
            #expect(mixed.dropFirst().allSatisfy { $0.oid > MIB.ifIndex })
            #expect(mixed.dropFirst().map(\.oid) == mixed.dropFirst().map(\.oid).sorted())
        }
    }

    @Test func walksTheInterfaceTable() async throws {
        let agent = try TestAgent.shared
        try await withSNMPSession(agent.v2c()) { session in
            let table = try await session.walk(MIB.ifTable)
            #expect(table.allSatisfy { MIB.ifTable.isPrefix(of: $0.oid) })
            #expect(zip(table, table.dropFirst()).allSatisfy { $0.oid < $1.oid })
            let descriptions = table.filter { MIB.ifDescr.isPrefix(of: $0.oid) }
            #expect(descriptions.contains { $0.oid == (try? MIB.ifDescr.appending(agent.loopbackIndex)) && $0.value.string == "lo" })
            // ifNumber is read, as an integer; it cannot be compared with the row count here: other tests create
            // and delete veth interfaces in this namespace while the walk runs.
            let ifNumber = try await session.get([MIB.ifNumber0])
            if case .integer(let count) = ifNumber.first?.value { #expect(count >= 1) } else { Issue.record("ifNumber: \(ifNumber)") }
            // Many small GETBULKs walk the same rows as few large ones. Compared on lo's row and by OID only:
            // other tests add and delete veths (rows) and move lo's octet counters between the two walks.
            let loRow = { (walk: [VarBind]) in walk.map(\.oid).filter { $0.components.last == agent.loopbackIndex } }
            #expect(loRow(try await session.walk(MIB.ifTable, maxRepetitions: 3)) == loRow(table))
            // The walk stops at the end of its subtree.
            let system = try await session.walk(MIB.system)
            #expect(system.contains { $0.oid == MIB.sysName0 && $0.value.string == agent.sysName })
            #expect(system.allSatisfy { MIB.system.isPrefix(of: $0.oid) })
        }
    }

    @Test func wrongCommunityTimesOut() async throws {
        let agent = try TestAgent.shared
        let start = ContinuousClock.now
        let error = await #expect(throws: SNMPError.self) {
            try await withSNMPSession(agent.v2c(community: "wrong", timeout: .milliseconds(300), retries: 0)) { session in
                try await session.get([MIB.sysName0])
            }
        }
        let elapsed = ContinuousClock.now - start
        #expect(error?.code == .timeout)
        #expect(elapsed >= .milliseconds(280) && elapsed < .seconds(2), "\(elapsed)")
    }

    @Test func closedSessionRefusesRequests() async throws {
        let agent = try TestAgent.shared
        for configuration in [agent.v2c(), agent.v3(TestAgent.users[1])] {
            let session = try await SNMPSession.open(configuration)
            #expect(try await session.get([MIB.sysName0]).first?.value.string == agent.sysName)
            await session.close()
            await session.close()
            let error = await #expect(throws: SNMPError.self) { try await session.get([MIB.sysName0]) }
            #expect(error?.code == .sessionClosed)
        }
    }

    @Test func concurrentSessions() async throws {
        let agent = try TestAgent.shared
        let configurations = [agent.v2c(), agent.v2c(), agent.v3(TestAgent.users[1]), agent.v3(TestAgent.users[3])]
        try await withThrowingTaskGroup(of: [String?].self) { group in
            for configuration in configurations {
                group.addTask {
                    try await withSNMPSession(configuration) { session in
                        var names: [String?] = []
                        for _ in 0..<20 { names.append(try await session.get([MIB.sysName0]).first?.value.string) }
                        return names
                    }
                }
            }
            for try await names in group {
                #expect(names == Array(repeating: agent.sysName, count: 20))
            }
        }
    }

    // MARK: v3

    @Test(arguments: TestAgent.users)
    func getsSysNameOverV3(_ security: SNMPv3Security) async throws {
        let agent = try TestAgent.shared
        let values = try await withSNMPSession(agent.v3(security)) { session in
            try await session.get([MIB.sysName0])
        }
        #expect(values.first?.value.string == agent.sysName)
    }

    @Test func v3WalksWithAuthPriv() async throws {
        let agent = try TestAgent.shared
        let viaV3 = try await withSNMPSession(agent.v3(TestAgent.users[3])) { try await $0.walk(MIB.ifDescr) }
        let viaV2c = try await withSNMPSession(agent.v2c()) { try await $0.walk(MIB.ifDescr) }
        #expect(!viaV3.isEmpty)
        // The same rows for the interfaces that stay put (other tests add and delete veths between the walks).
        let stable = { (walk: [VarBind]) in walk.filter { ["lo", "eth0"].contains($0.value.string ?? "") } }
        #expect(!stable(viaV3).isEmpty)
        #expect(stable(viaV3) == stable(viaV2c))
    }

    @Test func v3WithConfiguredEngineID() async throws {
        let agent = try TestAgent.shared
        let engine = try await withSNMPSession(agent.v2c()) { try await $0.get([MIB.snmpEngineID0]) }
        guard case .octetString(let engineID) = engine.first?.value else {
            Issue.record("snmpEngineID is \(engine)")
            return
        }
        var security = TestAgent.users[2]
        security.engineID = engineID
        let values = try await withSNMPSession(agent.v3(security)) { try await $0.get([MIB.sysName0]) }
        #expect(values.first?.value.string == agent.sysName)
    }

    @Test func wrongAuthPassphraseIsAnAuthenticationFailure() async throws {
        let agent = try TestAgent.shared
        var security = TestAgent.users[1]
        let correct = security
        security.authPassphrase = "not-the-passphrase"
        // Right, wrong, right again for the same user: the library's process-wide user table must not keep
        // the keys of whichever session came first.
        #expect(try await withSNMPSession(agent.v3(correct)) { try await $0.get([MIB.sysName0]) }.first?.value.string == agent.sysName)
        let error = await #expect(throws: SNMPError.self) {
            try await withSNMPSession(agent.v3(security)) { try await $0.get([MIB.sysName0]) }
        }
        #expect(error?.code == .authenticationFailure)
        if case .library(let code, _, _) = error?.cause { #expect(code != 0) } else { Issue.record("cause: \(String(describing: error?.cause))") }
        #expect(try await withSNMPSession(agent.v3(correct)) { try await $0.get([MIB.sysName0]) }.first?.value.string == agent.sysName)
    }

    /// RFC 3414 has the agent report usmStatsDecryptionErrors (our `.decryptionFailure`), but net-snmp's
    /// agent drops a request it cannot decrypt (its own snmpget times out too): all we can see is a timeout.
    @Test func wrongPrivacyPassphraseGetsNoAnswerFromSnmpd() async throws {
        let agent = try TestAgent.shared
        var security = TestAgent.users[3]
        security.privacyPassphrase = "not-the-passphrase"
        let error = await #expect(throws: SNMPError.self) {
            try await withSNMPSession(agent.v3(security, timeout: .milliseconds(500), retries: 0)) { try await $0.get([MIB.sysName0]) }
        }
        #expect(error?.code == .timeout)
    }

    @Test func unknownUser() async throws {
        let agent = try TestAgent.shared
        let security = SNMPv3Security(user: "nobody", authPassphrase: "whatever-1", privacyPassphrase: "whatever-2")
        let error = await #expect(throws: SNMPError.self) {
            try await withSNMPSession(agent.v3(security)) { try await $0.get([MIB.sysName0]) }
        }
        #expect(error?.code == .unknownUser)
    }
}

/// No agent at all: a free port nobody listens on.
@Suite struct SNMPUnreachableTests {
    @Test func v2cTimesOutAfterTimeoutTimesAttempts() async throws {
        let port = try freeLoopbackPort(udp: true)
        let configuration = SNMPSessionConfiguration(peer: "udp:127.0.0.1:\(port)", timeout: .milliseconds(250), retries: 2)
        let start = ContinuousClock.now
        let error = await #expect(throws: SNMPError.self) {
            try await withSNMPSession(configuration) { try await $0.get([MIB.sysName0]) }
        }
        let elapsed = ContinuousClock.now - start
        #expect(error?.code == .timeout)
        // Three attempts of 250 ms.
        #expect(elapsed >= .milliseconds(700) && elapsed < .milliseconds(1750), "\(elapsed)")
    }

    @Test func v3TimesOutWhileDiscoveringTheEngine() async throws {
        let port = try freeLoopbackPort(udp: true)
        let configuration = SNMPSessionConfiguration(
            peer: "udp:127.0.0.1:\(port)", timeout: .milliseconds(200), retries: 1,
            version: .v3(SNMPv3Security(user: "noc", authPassphrase: "auth-secret", privacyPassphrase: "priv-secret")))
        let start = ContinuousClock.now
        let error = await #expect(throws: SNMPError.self) { try await SNMPSession.open(configuration) }
        let elapsed = ContinuousClock.now - start
        #expect(error?.code == .timeout)
        // Two attempts of 200 ms.
        #expect(elapsed >= .milliseconds(350) && elapsed < .milliseconds(1400), "\(elapsed)")
    }

    @Test func unusablePeerFailsToOpen() async {
        let configuration = SNMPSessionConfiguration(peer: "udp:127.0.0.1:99999")
        let error = await #expect(throws: SNMPError.self) { try await SNMPSession.open(configuration) }
        #expect(error?.code == .sessionOpenFailed)
    }
}
