import CNetSNMP
import Foundation
import SystemSupport

/// Receives SNMPv2c and SNMPv3 notifications (TRAPs and INFORMs; INFORMs are acknowledged) on one address.
///
/// Its socket is watched by the process's one SNMP thread (`SNMPEventLoop`, where the library's unlocked USM
/// state lives), which reads and parses each datagram as it comes: no request of a session on that thread (an
/// INFORM to a manager that does not answer, a switch probe) holds it up. Stop it with `stop()`.
public final class NotificationReceiver: Sendable {
    /// Accepted notifications, oldest first. Finishes after `stop()`.
    public let notifications: AsyncStream<ReceivedNotification>
    /// The bound address with the actual port, e.g. `udp:127.0.0.1:41234`.
    public let address: String
    /// The authoritative engine ID of the INFORMs this receiver accepts.
    public let engineID: [UInt8]
    private let core: ReceiverCore

    private init(core: ReceiverCore, notifications: AsyncStream<ReceivedNotification>) {
        self.core = core
        self.notifications = notifications
        address = core.address
        engineID = core.engineID
    }

    /// Binds the address and registers the users. Throws `.invalidArgument` for a bad configuration or user,
    /// `.sessionOpenFailed` when the address does not parse or cannot be bound.
    public static func start(_ configuration: NotificationReceiverConfiguration) async throws(SNMPError) -> NotificationReceiver {
        try validate(configuration)
        let (stream, continuation) = AsyncStream.makeStream(
            of: ReceivedNotification.self, bufferingPolicy: .bufferingOldest(configuration.bufferLimit))
        let core = try await SNMPEventLoop.shared.perform { () throws(SNMPError) in
            try ReceiverCore(configuration, continuation)
        }
        return NotificationReceiver(core: core, notifications: stream)
    }

    /// Rejected datagrams so far, by reason (reasons never seen are absent).
    public func rejections() -> [NotificationRejection: Int] { core.counters.withLock { $0.rejections } }

    /// Notifications accepted and queued for the consumer so far.
    public func acceptedCount() -> Int { core.counters.withLock { $0.accepted } }

    /// Closes the socket, forgets the users and finishes `notifications`.
    public func stop() async {
        core.requestStop()
        await core.closed()
    }

    deinit { core.requestStop() }

    private static func validate(_ configuration: NotificationReceiverConfiguration) throws(SNMPError) {
        guard configuration.bufferLimit > 0 else { throw SNMPError(.invalidArgument, "bufferLimit must be above zero") }
        if let engineID = configuration.engineID, !(5...32).contains(engineID.count) {
            throw SNMPError(.invalidArgument, "an engine ID has 5 to 32 bytes, not \(engineID.count)")
        }
        for user in configuration.users {
            let security = user.security
            guard !security.user.isEmpty else { throw SNMPError(.invalidArgument, "a notification user needs a name") }
            if security.level != .noAuthNoPriv, security.authPassphrase.utf8.count < 8 {
                throw SNMPError(.invalidArgument, "the authentication passphrase of \(security.user) needs at least 8 characters")
            }
            if security.level == .authPriv, security.privacyPassphrase.utf8.count < 8 {
                throw SNMPError(.invalidArgument, "the privacy passphrase of \(security.user) needs at least 8 characters")
            }
            if let bad = user.trapEngineIDs.first(where: { !(5...32).contains($0.count) }) {
                throw SNMPError(.invalidArgument, "a trap engine ID of \(security.user) has \(bad.count) bytes, not 5 to 32")
            }
        }
    }
}

/// Counters shared between the SNMP thread and readers.
struct ReceiverCounters: Sendable {
    var rejections: [NotificationRejection: Int] = [:]
    var accepted = 0
}
