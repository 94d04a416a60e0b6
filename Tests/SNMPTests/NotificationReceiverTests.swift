import Foundation
import SNMP
import Testing
import TestSupport

/// Our receiver, fed by net-snmp's snmpinform / snmptrap and by hand-made datagrams.
@Suite struct NotificationReceiverTests {
    /// A user per test: the library's USM user list is one per process, and the tests run in parallel.
    static func user(_ name: String, level: SNMPv3Security.Level = .authPriv) -> SNMPv3Security {
        SNMPv3Security(user: name, level: level, authProtocol: .sha, authPassphrase: "\(name)-auth",
                       privacyProtocol: .aes, privacyPassphrase: "\(name)-priv")
    }

    /// Starts a receiver on a free loopback port and stops it after `body`.
    static func withReceiver(
        _ configure: (inout NotificationReceiverConfiguration) -> Void,
        _ body: (NotificationReceiver, String) async throws -> Void
    ) async throws {
        let port = try freeLoopbackPort(udp: true)
        var configuration = NotificationReceiverConfiguration(listen: "udp:127.0.0.1:\(port)")
        configure(&configuration)
        let receiver = try await NotificationReceiver.start(configuration)
        #expect(receiver.address == "udp:127.0.0.1:\(port)")
        do {
            try await body(receiver, "udp:127.0.0.1:\(port)")
            await receiver.stop()
        } catch {
            await receiver.stop()
            throw error
        }
    }

    /// net-snmp's CLI arguments for a v3 user.
    static func cli(_ security: SNMPv3Security) -> [String] {
        var arguments = ["-v3", "-u", security.user]
        switch security.level {
        case .noAuthNoPriv: arguments += ["-l", "noAuthNoPriv"]
        case .authNoPriv: arguments += ["-l", "authNoPriv", "-a", security.authProtocol.configName, "-A", security.authPassphrase]
        case .authPriv:
            arguments += ["-l", "authPriv", "-a", security.authProtocol.configName, "-A", security.authPassphrase,
                          "-x", security.privacyProtocol.configName, "-X", security.privacyPassphrase]
        }
        return arguments
    }

    /// Runs snmpinform / snmptrap with `arguments` then the uptime, trap OID and one string binding.
    static func send(_ tool: String, _ arguments: [String], to peer: String, marker: String) async throws {
        // 1.5 s: the engine ID probe is answered on the v3 thread, which other suites keep busy.
        try await runCLI([tool, "-t", "1.5", "-r", "0"] + arguments + [peer, "4200", "1.3.6.1.4.1.99.1", "1.3.6.1.4.1.99.2.0", "s", marker,
                                                                "1.3.6.1.4.1.99.3.0", "i", "-5"])
    }

    /// A net-snmp command line tool with no MIBs and its own persistent directory.
    static func runCLI(_ argv: [String]) async throws {
        try await withTemporaryState { state in
            _ = try await run(argv, environment: ["MIBS": "", "SNMP_PERSISTENT_DIR": state])
        }
    }

    static func withTemporaryState<T>(_ body: (String) async throws -> T) async throws -> T {
        try await withTemporaryDirectory { try await body($0.path) }
    }

    static func waitFor(_ what: String, timeout: Double = 10, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw WaitFailed(what: what) }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The next notification, once `acceptedCount` says it is queued (so the wait never cancels the stream).
    static func next(_ receiver: NotificationReceiver, _ iterator: inout AsyncStream<ReceivedNotification>.Iterator,
                     count: Int) async throws -> ReceivedNotification {
        try await waitFor("notification \(count)") { receiver.acceptedCount() >= count }
        return try #require(await iterator.next())
    }

    static func expectPayload(_ notification: ReceivedNotification, marker: String) {
        #expect(notification.uptime == 4200)
        #expect(notification.trapOID == Payload.trapOID)
        #expect(notification.varBinds == [
            VarBind(oid: Payload.marker, value: .octetString(Array(marker.utf8))),
            VarBind(oid: Payload.oid("1.3.6.1.4.1.99.3.0"), value: .integer(-5)),
        ])
        #expect(notification.source.hasPrefix("127.0.0.1:"))
    }

    @Test func v3InformIsAcknowledgedAndDelivered() async throws {
        let user = Self.user("rx-inform")
        try await Self.withReceiver({ $0.users = [NotificationUser(user)] }) { receiver, peer in
            var iterator = receiver.notifications.makeAsyncIterator()
            try await Self.send("snmpinform", Self.cli(user), to: peer, marker: "v3-inform")  // exits 0 only when acknowledged
            let notification = try await Self.next(receiver, &iterator, count: 1)
            #expect(notification.kind == .inform)
            #expect(notification.sender == .v3(user: user.user, level: .authPriv))
            Self.expectPayload(notification, marker: "v3-inform")
            #expect(receiver.rejections()[.unknownEngineID, default: 0] >= 1, "snmpinform's engine ID discovery")
        }
    }

    @Test func v3TrapFromAKnownEngine() async throws {
        let user = Self.user("rx-trap")
        let sender: [UInt8] = [0x80, 0x00, 0x1f, 0x88, 0x04, 0x73, 0x61, 0x6e]
        try await Self.withReceiver({ $0.users = [NotificationUser(user, trapEngineIDs: [sender])] }) { receiver, peer in
            var iterator = receiver.notifications.makeAsyncIterator()
            try await Self.send("snmptrap", ["-e", "0x80001f880473616e"] + Self.cli(user), to: peer, marker: "v3-trap")
            let notification = try await Self.next(receiver, &iterator, count: 1)
            #expect(notification.kind == .trap)
            #expect(notification.sender == .v3(user: user.user, level: .authPriv))
            Self.expectPayload(notification, marker: "v3-trap")
        }
    }

    @Test func v2cTrapAndInform() async throws {
        try await Self.withReceiver({ $0.communities = ["rx-public"] }) { receiver, peer in
            var iterator = receiver.notifications.makeAsyncIterator()
            try await Self.send("snmptrap", ["-v2c", "-c", "rx-public"], to: peer, marker: "v2c-trap")
            let trap = try await Self.next(receiver, &iterator, count: 1)
            #expect(trap.kind == .trap)
            #expect(trap.sender == .v2c(community: "rx-public"))
            Self.expectPayload(trap, marker: "v2c-trap")
            try await Self.send("snmpinform", ["-v2c", "-c", "rx-public"], to: peer, marker: "v2c-inform")
            let inform = try await Self.next(receiver, &iterator, count: 2)
            #expect(inform.kind == .inform)
            Self.expectPayload(inform, marker: "v2c-inform")
        }
    }

    @Test func rejectionsAreCounted() async throws {
        let user = Self.user("rx-reject")
        let authOnly = Self.user("rx-authonly", level: .authNoPriv)
        try await Self.withReceiver({
            $0.users = [NotificationUser(user), NotificationUser(authOnly)]
            $0.communities = ["rx-right"]
        }) { receiver, peer in
            func rejected(_ reason: NotificationRejection, _ tool: String, _ arguments: [String]) async throws {
                try await rejected(reason) { try await Self.send(tool, arguments, to: peer, marker: "rejected") }
            }
            func rejected(_ reason: NotificationRejection, sending: () async throws -> Void) async throws {
                let before = receiver.rejections()[reason, default: 0]
                try? await sending()
                do {
                    try await Self.waitFor("a \(reason) rejection") { receiver.rejections()[reason, default: 0] > before }
                } catch {
                    Issue.record("counted: \(receiver.rejections())")
                    throw error
                }
            }
            var stranger = user
            stranger.user = "rx-stranger"
            try await rejected(.unknownUser, "snmptrap", ["-e", "0x8000000001020304"] + Self.cli(stranger))
            try await rejected(.unknownUser, "snmpinform", Self.cli(stranger))
            var wrongAuth = user
            wrongAuth.authPassphrase = "wrong-auth-secret"
            try await rejected(.wrongDigest, "snmpinform", Self.cli(wrongAuth))
            var wrongPriv = user
            wrongPriv.privacyPassphrase = "wrong-priv-secret"
            let decryptionErrors = receiver.rejections()[.decryptionError, default: 0] + receiver.rejections()[.malformed, default: 0]
            _ = try? await Self.send("snmpinform", Self.cli(wrongPriv), to: peer, marker: "rejected")
            try await Self.waitFor("a decryption rejection") {
                receiver.rejections()[.decryptionError, default: 0] + receiver.rejections()[.malformed, default: 0] > decryptionErrors
            }
            try await rejected(.unknownCommunity, "snmptrap", ["-v2c", "-c", "rx-wrong"])
            try await rejected(.versionRefused) {
                try await Self.runCLI(["snmptrap", "-v1", "-c", "rx-right", peer, "1.3.6.1.4.1.99", "127.0.0.1", "6", "1", "4200"])
            }
            try await rejected(.securityLevelTooLow, "snmpinform", Self.cli(authOnly))
            #expect(receiver.acceptedCount() == 0)
        }
    }

    @Test func v2cRefusedWithoutCommunities() async throws {
        try await Self.withReceiver({ _ in }) { receiver, peer in
            _ = try? await Self.send("snmptrap", ["-v2c", "-c", "public"], to: peer, marker: "refused")
            try await Self.waitFor("a version_refused rejection") { receiver.rejections()[.versionRefused] == 1 }
        }
    }

    @Test func getRequestIsNotANotification() async throws {
        try await Self.withReceiver({ $0.communities = ["rx-get"] }) { receiver, peer in
            try? await Self.runCLI(["snmpget", "-v2c", "-c", "rx-get", "-t", "0.3", "-r", "0", peer, "1.3.6.1.2.1.1.5.0"])
            try await Self.waitFor("a not_a_notification rejection") { receiver.rejections()[.notANotification] == 1 }
        }
    }

    @Test func malformedDatagramsAreCountedAndDropped() async throws {
        try await Self.withReceiver({ $0.communities = ["rx-malformed"] }) { receiver, peer in
            let port = UInt16(peer.split(separator: ":").last!)!
            var random = SystemRandomNumberGenerator()
            let garbage = (0..<64).map { _ in UInt8.random(in: 0...255, using: &random) }
            // A v2c trap's header, cut short inside the community string.
            let truncated: [UInt8] = [0x30, 0x30, 0x02, 0x01, 0x01, 0x04, 0x0c, 0x72, 0x78, 0x2d]
            let lying: [UInt8] = [0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x02, 0x01]  // a huge length
            for datagram in [garbage, truncated, lying, [], [0x30]] { try sendDatagram(port: port, datagram) }
            try await Self.waitFor("malformed rejections") { receiver.rejections()[.malformed, default: 0] >= 4 }
            var iterator = receiver.notifications.makeAsyncIterator()
            try await Self.send("snmptrap", ["-v2c", "-c", "rx-malformed"], to: peer, marker: "still-working")
            Self.expectPayload(try await Self.next(receiver, &iterator, count: 1), marker: "still-working")
        }
    }

    @Test func stopIsPromptAndFreesThePort() async throws {
        // A port free a moment ago can be taken meanwhile by another test's client (UDP source ports): pick again.
        var opened: (port: UInt16, receiver: NotificationReceiver)?
        for _ in 1...3 where opened == nil {
            let port = try freeLoopbackPort(udp: true)
            let configuration = NotificationReceiverConfiguration(listen: "udp:127.0.0.1:\(port)")
            if let receiver = try? await NotificationReceiver.start(configuration) { opened = (port, receiver) }
        }
        let (port, receiver) = try #require(opened, "no free UDP port in three tries")
        let started = ContinuousClock.now
        await receiver.stop()
        #expect(ContinuousClock.now - started < .seconds(5))
        var ended = true
        for await _ in receiver.notifications { ended = false }
        #expect(ended)
        // The port is free again: another receiver binds it.
        let again = try await NotificationReceiver.start(NotificationReceiverConfiguration(listen: "udp:127.0.0.1:\(port)"))
        await again.stop()
        await receiver.stop()
    }

    /// A program started while the receiver listens (a test's daemon) must not inherit its socket: the port
    /// would stay bound after the receiver closed it.
    @Test func aProgramStartedMeanwhileDoesNotKeepThePort() async throws {
        try await withTemporaryDirectory { directory in
            let port = try freeLoopbackPort(udp: true)
            let listen = "udp:127.0.0.1:\(port)"
            let receiver = try await NotificationReceiver.start(NotificationReceiverConfiguration(listen: listen))
            try await withDaemon(["sleep", "60"], log: directory.appendingPathComponent("sleep.log")) { _ in
                await receiver.stop()
                let bound = try await run(["ss", "-Hlun", "sport = :\(port)"])
                #expect(bound.isEmpty, "still bound after stop: \(bound)")
            }
        }
    }

    @Test func bindFailureAndBadUsersThrow() async throws {
        await #expect { try await NotificationReceiver.start(NotificationReceiverConfiguration(listen: "udp:256.0.0.1:9")) } throws: {
            ($0 as? SNMPError)?.code == .sessionOpenFailed
        }
        var configuration = NotificationReceiverConfiguration(listen: "udp:127.0.0.1:\(try freeLoopbackPort(udp: true))")
        configuration.users = [NotificationUser(SNMPv3Security(user: "short", authPassphrase: "short", privacyPassphrase: "short"))]
        await #expect { try await NotificationReceiver.start(configuration) } throws: {
            ($0 as? SNMPError)?.code == .invalidArgument
        }
    }

    @Test func ourInformToOurReceiver() async throws {
        try await Self.withReceiver({ $0.communities = ["rx-self"] }) { receiver, peer in
            var iterator = receiver.notifications.makeAsyncIterator()
            let configuration = SNMPSessionConfiguration(peer: peer, timeout: .seconds(2), retries: 0, version: .v2c(community: "rx-self"))
            try await withSNMPSession(configuration) { session in
                try await session.inform(Payload.notification(marker: "self"))
            }
            let notification = try await Self.next(receiver, &iterator, count: 1)
            #expect(notification.kind == .inform)
            #expect(notification.uptime == 4200)
            #expect(notification.trapOID == Payload.trapOID)
            #expect(notification.varBinds == Payload.bindings(marker: "self"))
        }
    }

    @Test func ourV3TrapToOurReceiver() async throws {
        let user = Self.user("rx-self-trap")
        let engineID = await SNMPSession.localEngineID()
        try await Self.withReceiver({ $0.users = [NotificationUser(user, trapEngineIDs: [engineID])] }) { receiver, peer in
            var iterator = receiver.notifications.makeAsyncIterator()
            let session = try await SNMPSession.openForTraps(SNMPSessionConfiguration(peer: peer, version: .v3(user)))
            try await session.trap(Payload.notification(marker: "self-trap"))
            await session.close()
            let notification = try await Self.next(receiver, &iterator, count: 1)
            #expect(notification.kind == .trap)
            #expect(notification.varBinds == Payload.bindings(marker: "self-trap"))
        }
    }
}

struct WaitFailed: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

