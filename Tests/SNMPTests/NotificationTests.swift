import Foundation
import SNMP
import Testing
import TestSupport

/// Our `inform` and `trap` against a real snmptrapd.
@Suite struct NotificationTests {
    static let shaAES = SNMPv3Security(user: "inform-sha-aes", level: .authPriv, authProtocol: .sha,
                                       authPassphrase: "inform-auth-secret", privacyProtocol: .aes,
                                       privacyPassphrase: "inform-priv-secret")
    static let sha256AES256 = SNMPv3Security(user: "inform-sha256-aes256", level: .authPriv, authProtocol: .sha256,
                                             authPassphrase: "inform256-auth-secret", privacyProtocol: .aes256,
                                             privacyPassphrase: "inform256-priv-secret")

    static func config(_ users: [SNMPv3Security], engineID: [UInt8]? = nil, community: String? = nil) -> String {
        var lines = users.flatMap { [$0.createUserLine(engineID: engineID), "authUser log,execute \($0.user)"] }
        if let community { lines.append("authCommunity log,execute \(community)") }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test(arguments: [shaAES, sha256AES256])
    func v3InformIsAcknowledged(_ security: SNMPv3Security) async throws {
        try await withTrapDaemon(config: Self.config([security])) { daemon in
            let marker = "inform-\(UUID().uuidString.prefix(8))"
            let configuration = SNMPSessionConfiguration(peer: daemon.peer, timeout: .seconds(2), retries: 1, version: .v3(security))
            try await withSNMPSession(configuration) { session in
                try await session.inform(Payload.notification(marker: marker))
            }
            try await daemon.waitForLog(Payload.logged(marker: marker))
        }
    }

    @Test func v2cInformAndTrap() async throws {
        try await withTrapDaemon(config: Self.config([], community: "notify-pub")) { daemon in
            let configuration = SNMPSessionConfiguration(peer: daemon.peer, version: .v2c(community: "notify-pub"))
            let (inform, trap) = ("v2c-inform-\(UUID().uuidString.prefix(8))", "v2c-trap-\(UUID().uuidString.prefix(8))")
            try await withSNMPSession(configuration) { session in
                try await session.inform(Payload.notification(marker: inform))
                try await session.trap(Payload.notification(marker: trap))
            }
            try await daemon.waitForLog(Payload.logged(marker: inform) + Payload.logged(marker: trap))
        }
    }

    @Test func v3TrapCarriesOurEngineID() async throws {
        let engineID = await SNMPSession.localEngineID()
        #expect((5...32).contains(engineID.count))
        let security = SNMPv3Security(user: "trap-sender", level: .authPriv, authProtocol: .sha256,
                                      authPassphrase: "trap-auth-secret", privacyProtocol: .aes,
                                      privacyPassphrase: "trap-priv-secret")
        try await withTrapDaemon(config: Self.config([security], engineID: engineID)) { daemon in
            let marker = "v3-trap-\(UUID().uuidString.prefix(8))"
            let session = try await SNMPSession.openForTraps(
                SNMPSessionConfiguration(peer: daemon.peer, timeout: .seconds(1), retries: 0, version: .v3(security)))
            try await session.trap(Payload.notification(marker: marker))
            await session.close()
            try await daemon.waitForLog(Payload.logged(marker: marker))
        }
    }

    @Test func informToNobodyTimesOut() async throws {
        let port = try freeLoopbackPort(udp: true)
        let configuration = SNMPSessionConfiguration(peer: "udp:127.0.0.1:\(port)", timeout: .milliseconds(300), retries: 1,
                                                     version: .v2c(community: "public"))
        let started = ContinuousClock.now
        _ = try await withSNMPSession(configuration) { session in
            await #expect { try await session.inform(Payload.notification(marker: "nobody")) } throws: {
                ($0 as? SNMPError)?.code == .timeout
            }
        }
        #expect(ContinuousClock.now - started < .seconds(2), "2 attempts of 300 ms")
    }

    @Test func informWithWrongPassphraseFails() async throws {
        let registered = SNMPv3Security(user: "inform-wrong", level: .authPriv, authProtocol: .sha,
                                        authPassphrase: "right-auth-secret", privacyProtocol: .aes,
                                        privacyPassphrase: "right-priv-secret")
        var wrong = registered
        wrong.authPassphrase = "wrong-auth-secret"
        try await withTrapDaemon(config: Self.config([registered])) { daemon in
            let configuration = SNMPSessionConfiguration(peer: daemon.peer, timeout: .milliseconds(500), retries: 0, version: .v3(wrong))
            _ = try await withSNMPSession(configuration) { session in
                await #expect(throws: SNMPError.self) { try await session.inform(Payload.notification(marker: "wrong")) }
            }
            #expect(!daemon.log.contains("STRING: \"wrong\""))
        }
    }
}
