import CNetSNMP
import Foundation
import SystemSupport

/// The library session and socket of one receiver, a member of the SNMP loop: the loop reads each datagram as it
/// arrives, beside the requests of every session. The session, `delivered` and `users` are used only on the loop's
/// thread; `counters` and `state` under their locks.
final class ReceiverCore: SNMPLoopMember, @unchecked Sendable {
    let configuration: NotificationReceiverConfiguration
    let continuation: AsyncStream<ReceivedNotification>.Continuation
    let address: String
    let engineID: [UInt8]
    let counters = Locked(ReceiverCounters())
    private var session: UnsafeMutableRawPointer?
    private let socket: Int32
    /// (engine ID, user name) of each USM user we registered, removed again when closing.
    private var users: [([UInt8], String)] = []
    /// Whether the callback saw the datagram being read.
    private var delivered = false
    private let state = Locked(State())

    private struct State {
        var closed = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    /// On the loop's thread.
    init(_ configuration: NotificationReceiverConfiguration,
         _ continuation: AsyncStream<ReceivedNotification>.Continuation) throws(SNMPError) {
        NetSNMP.initialize()
        self.configuration = configuration
        self.continuation = continuation
        if let engineID = configuration.engineID {
            guard engineID.withUnsafeBufferPointer({ set_exact_engineID($0.baseAddress, $0.count) }) == SNMPERR_SUCCESS else {
                throw SNMPError(.invalidArgument, "the library refused the engine ID \(engineID.hex)")
            }
            set_enginetime(engineID, UInt32(engineID.count), UInt32(snmpv3_local_snmpEngineBoots()),
                           UInt32(snmpv3_local_snmpEngineTime()), 1)
        }
        engineID = NetSNMP.localEngineID()

        guard let transport = netsnmp_transport_open_server("sansang", configuration.listen) else {
            throw SNMPError(.sessionOpenFailed, "cannot listen on \(configuration.listen) (bad address, or in use)")
        }
        let descriptor = transport.pointee.sock
        // net-snmp opens it without close-on-exec: a program this process starts (a test's daemon) would keep
        // the port bound after the receiver closed it.
        Self.closeOnExec(descriptor)
        socket = descriptor
        address = Self.boundAddress(descriptor) ?? configuration.listen

        var structure = netsnmp_session()
        snmp_sess_init(&structure)
        // A C function: it finds its receiver through the magic pointer.
        structure.callback = { operation, _, _, pdu, magic in
            if operation == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE, let pdu, let magic {
                Unmanaged<ReceiverCore>.fromOpaque(magic).takeUnretainedValue().received(pdu)
            }
            return 1
        }
        structure.isAuthoritative = u_char(SNMP_SESS_UNKNOWNAUTH)
        // The callback's context; the session is closed (on the loop's thread) before this object goes away.
        structure.callback_magic = Unmanaged.passUnretained(self).toOpaque()
        // snmp_sess_add takes over the transport, and closes it when it fails.
        guard let opened = NetSNMP.lock.withLock({ snmp_sess_add(&structure, transport, nil, nil) }) else {
            throw SNMPError(.sessionOpenFailed, "cannot add a session listening on \(configuration.listen)")
        }
        session = opened
        do {
            for user in configuration.users {
                try register(user.security, engineID: engineID)
                for trapEngineID in user.trapEngineIDs { try register(user.security, engineID: trapEngineID) }
            }
        } catch {
            closeSession()
            throw error
        }
        SNMPEventLoop.shared.add(self)
    }

    private static func closeOnExec(_ descriptor: Int32) {
        _ = fcntl(descriptor, F_SETFD, fcntl(descriptor, F_GETFD) | FD_CLOEXEC)
    }

    // MARK: SNMPLoopMember

    var descriptor: Int32? { session == nil ? nil : socket }

    /// A receiver only answers: no timers.
    func microsecondsUntilDue() -> Int64? { nil }

    func readable() { readDatagram() }

    func timersDue() {}

    // MARK: stopping

    /// Closes the socket (on the loop's thread, soon), forgets the users and finishes the stream.
    func requestStop() {
        SNMPEventLoop.shared.submit { [self] in
            guard session != nil else { return }
            closeSession()
            continuation.finish()
            let waiters = state.withLock { state in
                state.closed = true
                defer { state.waiters = [] }
                return state.waiters
            }
            waiters.forEach { $0.resume() }
        }
    }

    func closed() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let isClosed = state.withLock { state in
                if !state.closed { state.waiters.append(waiter) }
                return state.closed
            }
            if isClosed { waiter.resume() }
        }
    }

    // MARK: the loop's thread

    /// The library counts why it dropped a message in its statistics; the first that grew names the reason.
    private static let statistics: [(Int32, NotificationRejection)] = [
        (STAT_USMSTATSUNKNOWNENGINEIDS, .unknownEngineID), (STAT_USMSTATSUNKNOWNUSERNAMES, .unknownUser),
        (STAT_USMSTATSWRONGDIGESTS, .wrongDigest), (STAT_USMSTATSDECRYPTIONERRORS, .decryptionError),
        (STAT_USMSTATSNOTINTIMEWINDOWS, .notInTimeWindow), (STAT_USMSTATSUNSUPPORTEDSECLEVELS, .securityLevelTooLow),
        (STAT_SNMPINBADVERSIONS, .versionRefused),
        (STAT_SNMPINASNPARSEERRS, .malformed), (STAT_SNMPINVALIDMSGS, .malformed), (STAT_SNMPUNKNOWNSECURITYMODELS, .malformed),
    ]

    private func readDatagram() {
        guard let session else { return }
        let before = Self.statistics.map { snmp_get_statistic($0.0) }
        delivered = false
        _ = sansang_sess_read_fd(session, socket)
        guard !delivered else { return }
        let after = Self.statistics.map { snmp_get_statistic($0.0) }
        let grown = Self.statistics.indices.first { after[$0] != before[$0] }
        count(grown.map { Self.statistics[$0].1 } ?? .malformed)
    }

    /// A message the library parsed and authenticated (for v3).
    func received(_ pdu: UnsafeMutablePointer<netsnmp_pdu>) {
        let message = pdu.pointee
        // The library calls back with command 0 for a message that failed authentication (for agents that
        // send authenticationFailure traps); its statistics say why.
        guard message.command != 0 else { return }
        delivered = true
        let isV2c = message.version == Int(SNMP_VERSION_2c), isV3 = message.version == Int(SNMP_VERSION_3)
        guard isV3 || (isV2c && !configuration.communities.isEmpty) else { return count(.versionRefused) }
        let kind: ReceivedNotification.Kind
        switch message.command {
        case SANSANG_SNMP_MSG_INFORM: kind = .inform
        case SANSANG_SNMP_MSG_TRAP2: kind = .trap
        default: return count(.notANotification)
        }
        let sender: ReceivedNotification.Sender
        if isV2c {
            let community = String(decoding: UnsafeBufferPointer(start: message.community, count: message.community_len), as: UTF8.self)
            guard configuration.communities.contains(community) else { return count(.unknownCommunity) }
            sender = .v2c(community: community)
        } else {
            let name = String(decoding: UnsafeRawBufferPointer(start: message.securityName, count: message.securityNameLen), as: UTF8.self)
            let securityEngineID = Array(UnsafeBufferPointer(start: message.securityEngineID, count: message.securityEngineIDLen))
            // The library knows every user of the process (other receivers', sessions'): only ours count here.
            guard let user = configuration.users.first(where: { $0.security.user == name }) else { return count(.unknownUser) }
            let engines = kind == .inform ? [engineID] : user.trapEngineIDs
            guard engines.contains(securityEngineID) else { return count(.unknownEngineID) }
            let level: SNMPv3Security.Level = switch message.securityLevel {
            case SNMP_SEC_LEVEL_AUTHPRIV: .authPriv
            case SNMP_SEC_LEVEL_AUTHNOPRIV: .authNoPriv
            default: .noAuthNoPriv
            }
            guard level.rank >= configuration.minimumLevel.rank, level.rank >= user.security.level.rank else {
                return count(.securityLevelTooLow)
            }
            sender = .v3(user: name, level: level)
        }
        if kind == .inform, let session, let reply = snmp_clone_pdu(pdu) {
            reply.pointee.command = SANSANG_SNMP_MSG_RESPONSE
            reply.pointee.errstat = 0
            reply.pointee.errindex = 0
            if snmp_sess_send(session, reply) == 0 { snmp_free_pdu(reply) }
        }

        var notification = ReceivedNotification(
            kind: kind, sender: sender, source: Self.source(message), uptime: nil, trapOID: nil, varBinds: [], receivedAt: Date())
        var variable = message.variables
        while let current = variable {
            let binding = VarBind(current.pointee)
            switch (binding.oid, binding.value) {
            case (.sysUpTime0, .timeticks(let ticks)) where notification.uptime == nil: notification.uptime = ticks
            case (.snmpTrapOID0, .objectIdentifier(let oid)) where notification.trapOID == nil: notification.trapOID = oid
            default: notification.varBinds.append(binding)
            }
            variable = current.pointee.next_variable
        }
        if case .enqueued = continuation.yield(notification) {
            counters.withLock { $0.accepted += 1 }
        } else {
            count(.overflow)
        }
    }

    private func count(_ rejection: NotificationRejection) {
        counters.withLock { $0.rejections[rejection, default: 0] += 1 }
    }

    /// Registers a USM user for one engine ID with net-snmp's own `createUser` parser (keys derived and
    /// localised as snmpd and snmptrapd do), replacing a user of the same name and engine.
    private func register(_ security: SNMPv3Security, engineID: [UInt8]) throws(SNMPError) {
        removeUser(engineID: engineID, name: security.user)
        var line = "-e \(engineID.hex) \(quoted(security.user))"
        if security.level != .noAuthNoPriv {
            line += " \(security.authProtocol.configName) \(quoted(security.authPassphrase))"
        }
        if security.level == .authPriv {
            line += " \(security.privacyProtocol.configName) \(quoted(security.privacyPassphrase))"
        }
        var bytes = Array(line.utf8CString)
        usm_parse_create_usmUser("createUser", &bytes)
        let created = engineID.withUnsafeBufferPointer { usm_get_user(UnsafeMutablePointer(mutating: $0.baseAddress), $0.count, security.user) } != nil
        guard created else { throw SNMPError(.invalidArgument, "the library refused the SNMPv3 user \(security)") }
        users.append((engineID, security.user))
    }

    /// The config-file quoting of `copy_nword`: double quotes, with backslash escapes inside.
    private func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    private func removeUser(engineID: [UInt8], name: String) {
        let user = engineID.withUnsafeBufferPointer { usm_get_user(UnsafeMutablePointer(mutating: $0.baseAddress), $0.count, name) }
        if let user {
            usm_remove_user(user)
            usm_free_user(user)
        }
    }

    private func closeSession() {
        users.forEach { removeUser(engineID: $0.0, name: $0.1) }
        users = []
        if let session {
            self.session = nil
            SNMPEventLoop.shared.remove(self)
            NetSNMP.lock.withLock { _ = snmp_sess_close(session) }
        }
    }

    // MARK: addresses

    private static func boundAddress(_ socket: Int32) -> String? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) == 0 }
        }
        guard named, let text = format(storage) else { return nil }
        return (storage.ss_family == sa_family_t(AF_INET6) ? "udp6:" : "udp:") + text
    }

    /// The UDP transports put the sender's address first in `transport_data`.
    private static func source(_ message: netsnmp_pdu) -> String {
        guard let data = message.transport_data, message.transport_data_length >= MemoryLayout<sockaddr_in>.size else { return "" }
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) {
            $0.copyMemory(from: UnsafeRawBufferPointer(start: data, count: min(Int(message.transport_data_length), $0.count)))
        }
        return format(storage) ?? ""
    }

    /// The text inet_ntop wrote, up to its NUL.
    private static func ip(_ text: [CChar]) -> String {
        String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `127.0.0.1:162` or `[::1]:162`.
    private static func format(_ storage: sockaddr_storage) -> String? {
        var storage = storage
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        return withUnsafePointer(to: &storage) { pointer -> String? in
            switch Int32(pointer.pointee.ss_family) {
            case AF_INET:
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address -> String? in
                    var raw = address.pointee.sin_addr
                    guard inet_ntop(AF_INET, &raw, &text, socklen_t(text.count)) != nil else { return nil }
                    return "\(ip(text)):\(UInt16(bigEndian: address.pointee.sin_port))"
                }
            case AF_INET6:
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address -> String? in
                    var raw = address.pointee.sin6_addr
                    guard inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count)) != nil else { return nil }
                    return "[\(ip(text))]:\(UInt16(bigEndian: address.pointee.sin6_port))"
                }
            default:
                return nil
            }
        }
    }
}
