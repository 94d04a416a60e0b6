import Foundation
import SNMP
@testable import SNMPReporting
import Testing
import TestSupport

/// The notification queues on disk: what waits survives a restart of the sender, arrives once and in order, and the
/// queue stays within its bound. The manager is our own receiver (net-snmp in this process) on loopback.
@Suite struct DurableQueueTests {
    static let trapOID = oid("1.3.6.1.4.1.99.1")
    static let marker = oid("1.3.6.1.4.1.99.2.0")

    static func oid(_ text: String) -> OID {
        do { return try OID(text) } catch { fatalError("\(error)") }
    }

    static func notification(_ text: String, uptime: UInt32 = 4200) -> SNMPNotification {
        SNMPNotification(trapOID: trapOID, uptime: uptime, varBinds: [
            VarBind(oid: marker, value: .octetString(Array(text.utf8))),
            VarBind(oid: oid("1.3.6.1.4.1.99.3.0"), value: .integer(-5)),
            VarBind(oid: oid("1.3.6.1.4.1.99.4.0"), value: .counter32(7)),
            VarBind(oid: oid("1.3.6.1.4.1.99.5.0"), value: .ipAddress(SNMPValue.IPv4Address(10, 1, 2, 3))),
            VarBind(oid: oid("1.3.6.1.4.1.99.6.0"), value: .timeticks(1234)),
            VarBind(oid: oid("1.3.6.1.4.1.99.7.0"), value: .objectIdentifier(oid("1.3.6.1.9"))),
            VarBind(oid: oid("1.3.6.1.4.1.99.8.0"), value: .counter64(1_234_567_890_123)),
            VarBind(oid: oid("1.3.6.1.4.1.99.9.0"), value: .gauge32(42)),
            VarBind(oid: oid("1.3.6.1.4.1.99.10.0"), value: .null),
            VarBind(oid: oid("1.3.6.1.4.1.99.11.0"), value: .opaque([0x01, 0x02])),
        ])
    }

    static func policy(_ directory: URL, limit: Int = 1000) -> DeliveryPolicy {
        var policy = DeliveryPolicy()
        policy.directory = directory
        policy.backoffInitial = .milliseconds(100)
        policy.backoffMax = .milliseconds(200)
        policy.queueLimit = limit
        return policy
    }

    static func target(port: UInt16, community: String) -> NotificationTarget {
        NotificationTarget(session: SNMPSessionConfiguration(peer: "udp:127.0.0.1:\(port)", timeout: .milliseconds(300), retries: 0,
                                                             version: .v2c(community: community)), kind: .inform)
    }

    /// The queued files of every target under `directory`.
    static func queued(_ directory: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil).flatMap { target in
            try FileManager.default.contentsOfDirectory(at: target, includingPropertiesForKeys: nil)
        }.filter { $0.pathExtension == "json" }
    }

    static func withReceiver(port: UInt16, community: String, _ body: (NotificationReceiver) async throws -> Void) async throws {
        let receiver = try await NotificationReceiver.start(
            NotificationReceiverConfiguration(listen: "udp:127.0.0.1:\(port)", communities: [community]))
        try await withCleanup { try await body(receiver) } cleanup: { await receiver.stop() }
    }

    @Test func whatWaitedForADownManagerArrivesOnceAndInOrderAfterARestart() async throws {
        try await withTemporaryDirectory { directory in
            let port = try freeLoopbackPort(udp: true)
            let target = Self.target(port: port, community: "durable-restart")
            // The manager is down: the first sender tries and fails, and keeps all three.
            let first = NotificationSender(target: target, policy: Self.policy(directory))
            let running = Task { await first.run() }
            for index in 1...3 { await first.enqueue(Self.notification("queued-\(index)")) }
            try await waitUntil(timeout: 10, "failed attempts") { await first.counters.attempts >= 2 }
            running.cancel()
            await running.value
            #expect(try Self.queued(directory).count == 3)
            #expect(await first.counters.acknowledged == 0)

            // The manager comes up; a new sender on the same directory (as after a restart) sends what waited.
            try await Self.withReceiver(port: port, community: "durable-restart") { receiver in
                let second = NotificationSender(target: target, policy: Self.policy(directory))
                let sending = Task { await second.run() }
                try await waitUntil(timeout: 15, "three notifications") { receiver.acceptedCount() >= 3 }
                var iterator = receiver.notifications.makeAsyncIterator()
                var markers: [String] = []
                for _ in 1...3 {
                    let received = try #require(await iterator.next())
                    markers.append(received.varBinds.first?.value.string ?? "")
                    #expect(received.varBinds == Self.notification(received.varBinds.first?.value.string ?? "").varBinds)
                }
                #expect(markers == ["queued-1", "queued-2", "queued-3"])
                try await waitUntil(timeout: 5, "the delivered files to go") { try Self.queued(directory).isEmpty }
                // Once: nothing more comes (an INFORM acknowledged is not sent again).
                try await Task.sleep(for: .seconds(1))
                #expect(receiver.acceptedCount() == 3)
                #expect(await second.counters.acknowledged == 3)
                sending.cancel()
                await sending.value
            }
        }
    }

    @Test func theQueueKeepsItsBoundOnDiskAndCountsWhatItDrops() async throws {
        try await withTemporaryDirectory { directory in
            let port = try freeLoopbackPort(udp: true)
            let target = Self.target(port: port, community: "durable-bound")
            let first = NotificationSender(target: target, policy: Self.policy(directory, limit: 2))
            for index in 1...5 { await first.enqueue(Self.notification("bounded-\(index)")) }
            #expect(try Self.queued(directory).count == 2)
            #expect(await first.counters.undelivered == 3)
            #expect(await first.counters.pending == 2)

            try await Self.withReceiver(port: port, community: "durable-bound") { receiver in
                let second = NotificationSender(target: target, policy: Self.policy(directory, limit: 2))
                let sending = Task { await second.run() }
                try await waitUntil(timeout: 15, "two notifications") { receiver.acceptedCount() >= 2 }
                var iterator = receiver.notifications.makeAsyncIterator()
                var markers: [String] = []
                for _ in 1...2 { markers.append(try #require(await iterator.next()).varBinds.first?.value.string ?? "") }
                #expect(markers == ["bounded-4", "bounded-5"])
                sending.cancel()
                await sending.value
            }
        }
    }

    @Test func aCorruptFileIsSetAsideAndTheOthersLoad() throws {
        try withTemporaryDirectoryNow { directory in
            let files = NotificationQueueFiles(parent: directory, target: Self.target(port: 162, community: "x"))
            #expect(try files.load().stored.isEmpty)
            try files.store(Self.notification("one"), number: 1, queuedAt: Date(timeIntervalSince1970: 1_800_000_000))
            try files.store(Self.notification("two"), number: 2, queuedAt: Date(timeIntervalSince1970: 1_800_000_001))
            let second = files.directory.appendingPathComponent("0000000000000002.json")
            try Data("{\"format\": 1, \"trap_oid\": ".utf8).write(to: second)
            try Data().write(to: files.directory.appendingPathComponent("0000000000000003.json.3F2B8C1E"))  // an unfinished write
            let (stored, refused) = try files.load()
            #expect(stored.map(\.number) == [1])
            #expect(stored.first?.notification == Self.notification("one"))
            #expect(stored.first?.queuedAt == Date(timeIntervalSince1970: 1_800_000_000))
            #expect(refused.count == 1 && refused.first?.hasPrefix("0000000000000002.json") == true)
            let names = try FileManager.default.contentsOfDirectory(atPath: files.directory.path).sorted()
            #expect(names == ["0000000000000001.json", "0000000000000002.json.corrupt"])
        }
    }

    @Test func everyValueTypeSurvivesItsFile() throws {
        var notification = Self.notification("types")
        notification.varBinds += [
            VarBind(oid: Self.oid("1.3.6.1.4.1.99.12.0"), value: .noSuchObject),
            VarBind(oid: Self.oid("1.3.6.1.4.1.99.13.0"), value: .noSuchInstance),
            VarBind(oid: Self.oid("1.3.6.1.4.1.99.14.0"), value: .endOfMibView),
            VarBind(oid: Self.oid("1.3.6.1.4.1.99.15.0"), value: .other(asnType: 0x48, bytes: [0xde, 0xad])),
            VarBind(oid: Self.oid("1.3.6.1.4.1.99.16.0"), value: .integer(Int32.min)),
            VarBind(oid: Self.oid("1.3.6.1.4.1.99.17.0"), value: .counter64(UInt64.max)),
        ]
        let file = QueueFile(notification, queuedAt: Date(timeIntervalSince1970: 1_800_000_000))
        let data = try JSONEncoder.queueFile.encode(file)
        #expect(try JSONDecoder.queueFile.decode(QueueFile.self, from: data).notification() == notification)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"queued_at\":\"2027-01-15T08:00:00Z\""), "\(text)")
        #expect(text.contains("{\"oid\":\"1.3.6.1.4.1.99.2.0\",\"type\":\"octet_string\",\"value\":\"7479706573\"}"), "\(text)")
    }
}

/// A temporary directory for a synchronous test.
func withTemporaryDirectoryNow(_ body: (URL) throws -> Void) throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sansang-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    try body(url)
}
