import CNetSNMP
import Foundation
import SystemSupport

/// All SNMPv3 work runs on this one thread: the library keeps USM users and engine times in unlocked globals.
/// The notification receiver parses every incoming message here too.
let v3Worker = BlockingPool(name: "snmp-v3")

/// An open session with one agent. Requests are queued to the session's own thread (v2c) or to the shared
/// SNMPv3 thread, and run one at a time; create several sessions to query one agent concurrently.
/// Close it with `close()` or use `withSNMPSession`; it is also closed when released.
public final class SNMPSession: Sendable {
    public let configuration: SNMPSessionConfiguration
    let worker: BlockingPool
    private let ownsWorker: Bool
    let handle: SessionHandle

    private init(configuration: SNMPSessionConfiguration, worker: BlockingPool, ownsWorker: Bool, handle: SessionHandle) {
        self.configuration = configuration
        self.worker = worker
        self.ownsWorker = ownsWorker
        self.handle = handle
    }

    /// Opens a session. For SNMPv3 without a configured engine ID this discovers it (one round trip), so an
    /// unreachable agent fails here with `.timeout`.
    public static func open(_ configuration: SNMPSessionConfiguration) async throws(SNMPError) -> SNMPSession {
        let settings = try SessionSettings(configuration)
        let isV3 = if case .v3 = configuration.version { true } else { false }
        let worker = isV3 ? v3Worker : BlockingPool(name: "snmp \(configuration.peer)")
        do {
            let handle = try await worker.perform { () throws(SNMPError) in try SessionHandle(opening: settings) }
            return SNMPSession(configuration: configuration, worker: worker, ownsWorker: !isV3, handle: handle)
        } catch {
            if !isV3 { worker.finish() }
            throw error
        }
    }

    /// Opens a session for sending SNMPv2-Traps (`trap`). For SNMPv3 the sender of a trap is the authoritative
    /// engine (RFC 3414 §3.2): the session uses this process's own engine ID (`localEngineID()`), engine boots and
    /// time, never contacts the peer, and ignores a configured `engineID`. The receiver must know the user under
    /// that engine ID (snmptrapd: `createUser -e <hex>`). For v2c this is the same as `open`.
    /// Use `open` for INFORMs, whose receiver is the authoritative engine.
    public static func openForTraps(_ configuration: SNMPSessionConfiguration) async throws(SNMPError) -> SNMPSession {
        guard case .v3(var security) = configuration.version else { return try await open(configuration) }
        security.engineID = try await v3Worker.perform { () throws(SNMPError) in
            NetSNMP.initialize()
            let engineID = NetSNMP.localEngineID()
            // Our boots and time, as the receiver will check them for this engine ID.
            set_enginetime(engineID, UInt32(engineID.count), UInt32(snmpv3_local_snmpEngineBoots()),
                           UInt32(snmpv3_local_snmpEngineTime()), 1)
            return engineID
        }
        var trapConfiguration = configuration
        trapConfiguration.version = .v3(security)
        return try await open(trapConfiguration)
    }

    /// This process's own SNMPv3 engine ID: the authoritative engine of the traps it sends, and of the INFORMs
    /// a `NotificationReceiver` accepts (one per process).
    public static func localEngineID() async -> [UInt8] {
        (try? await v3Worker.perform { NetSNMP.initialize(); return NetSNMP.localEngineID() }) ?? []
    }

    /// GET: the values of exactly these OIDs (missing ones come back as noSuchObject / noSuchInstance).
    public func get(_ oids: [OID]) async throws(SNMPError) -> [VarBind] {
        try await perform(SANSANG_SNMP_MSG_GET, oids)
    }

    /// GETNEXT: for each OID, the first variable after it (endOfMibView past the end).
    public func getNext(_ oids: [OID]) async throws(SNMPError) -> [VarBind] {
        try await perform(SANSANG_SNMP_MSG_GETNEXT, oids)
    }

    /// GETBULK (RFC 3416 §4.2.3): one GETNEXT for each of the first `nonRepeaters` OIDs, then up to
    /// `maxRepetitions` successors of each of the others, interleaved row by row. The agent may return fewer.
    public func getBulk(_ oids: [OID], nonRepeaters: Int = 0, maxRepetitions: Int = 10) async throws(SNMPError) -> [VarBind] {
        guard nonRepeaters >= 0, (0...Int(Int32.max)).contains(maxRepetitions) else {
            throw SNMPError(.invalidArgument, "GETBULK needs non-negative nonRepeaters and maxRepetitions")
        }
        return try await perform(SANSANG_SNMP_MSG_GETBULK, oids, nonRepeaters: nonRepeaters, maxRepetitions: maxRepetitions)
    }

    /// Every variable under `subtree`, in order, with GETBULK requests of `maxRepetitions`. Stops at the end
    /// of the subtree or at endOfMibView; throws `.notIncreasing` if the agent returns an OID that does not
    /// follow the previous one. A scalar instance (such as sysName.0) has nothing under it: use `get`.
    public func walk(_ subtree: OID, maxRepetitions: Int = 25) async throws(SNMPError) -> [VarBind] {
        guard maxRepetitions > 0 else { throw SNMPError(.invalidArgument, "a walk needs maxRepetitions > 0") }
        var result: [VarBind] = []
        var last = subtree
        while true {
            let batch = try await getBulk([last], maxRepetitions: maxRepetitions)
            if batch.isEmpty { return result }
            for binding in batch {
                if binding.value == .endOfMibView { return result }
                guard binding.oid > last else {
                    throw SNMPError(.notIncreasing, "walking \(subtree) on \(configuration.peer): \(binding.oid) came after \(last)")
                }
                guard subtree.isPrefix(of: binding.oid) else { return result }
                result.append(binding)
                last = binding.oid
            }
        }
    }

    /// Closes the session; requests queued behind this fail with `.sessionClosed`. Closing twice is harmless.
    public func close() async {
        _ = try? await worker.perform { [handle] in handle.close() }
        if ownsWorker { worker.finish() }
    }

    deinit {
        _ = worker.submit { [handle] in handle.close() }
        if ownsWorker { worker.finish() }
    }

    private func perform(_ command: Int32, _ oids: [OID], nonRepeaters: Int = 0, maxRepetitions: Int = 0) async throws(SNMPError) -> [VarBind] {
        guard !oids.isEmpty else { throw SNMPError(.invalidArgument, "a request needs at least one OID") }
        guard !Task.isCancelled else { throw SNMPError(.cancelled, "cancelled before the request to \(configuration.peer)") }
        return try await worker.perform { [handle] () throws(SNMPError) in
            try handle.request(command, oids, nonRepeaters: nonRepeaters, maxRepetitions: maxRepetitions)
        }
    }
}

/// Opens a session, runs `body` with it, and closes it afterwards, also when `body` throws.
public func withSNMPSession<T>(
    _ configuration: SNMPSessionConfiguration,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (SNMPSession) async throws -> T
) async throws -> T {
    let session = try await SNMPSession.open(configuration)
    do {
        let result = try await body(session)
        await session.close()
        return result
    } catch {
        await session.close()
        throw error
    }
}

/// A configuration checked and converted to what the library takes.
private struct SessionSettings: Sendable {
    let configuration: SNMPSessionConfiguration
    let timeoutMicroseconds: Int

    init(_ configuration: SNMPSessionConfiguration) throws(SNMPError) {
        let (seconds, attoseconds) = configuration.timeout.components
        guard configuration.timeout > .zero, seconds < 3600 else {
            throw SNMPError(.invalidArgument, "the timeout must be above zero and under an hour, not \(configuration.timeout)")
        }
        guard (0...100).contains(configuration.retries) else {
            throw SNMPError(.invalidArgument, "retries must be 0…100, not \(configuration.retries)")
        }
        guard !configuration.peer.isEmpty else { throw SNMPError(.invalidArgument, "the peer address is empty") }
        if case .v3(let security) = configuration.version {
            guard !security.user.isEmpty else { throw SNMPError(.invalidArgument, "SNMPv3 needs a user name") }
            // The library refuses shorter passphrases (USM_LENGTH_P_MIN), with a less helpful error.
            if security.level != .noAuthNoPriv, security.authPassphrase.utf8.count < 8 {
                throw SNMPError(.invalidArgument, "the SNMPv3 authentication passphrase needs at least 8 characters")
            }
            if security.level == .authPriv, security.privacyPassphrase.utf8.count < 8 {
                throw SNMPError(.invalidArgument, "the SNMPv3 privacy passphrase needs at least 8 characters")
            }
        }
        self.configuration = configuration
        timeoutMicroseconds = Int(seconds) * 1_000_000 + Int(attoseconds / 1_000_000_000_000)
    }
}

/// The library's session: owned by one SNMPSession, used only on its worker thread, closed exactly once.
final class SessionHandle: @unchecked Sendable {
    private var pointer: UnsafeMutableRawPointer?
    private let configuration: SNMPSessionConfiguration
    private let timeoutMicroseconds: Int

    /// Opens the session (blocking: v3 key derivation and engine ID discovery).
    fileprivate init(opening settings: SessionSettings) throws(SNMPError) {
        NetSNMP.initialize()
        configuration = settings.configuration
        timeoutMicroseconds = settings.timeoutMicroseconds
        // snmp_sess_open copies the structure and the strings it points to; free ours afterwards.
        var allocations: [UnsafeMutableRawPointer] = []
        defer { allocations.forEach { free($0) } }
        func copy(_ bytes: [UInt8]) -> UnsafeMutablePointer<UInt8> {
            let buffer = malloc(max(bytes.count, 1))!.bindMemory(to: UInt8.self, capacity: max(bytes.count, 1))
            buffer.initialize(from: bytes, count: bytes.count)
            allocations.append(UnsafeMutableRawPointer(buffer))
            return buffer
        }
        func copy(_ string: String) -> UnsafeMutablePointer<CChar> {
            let buffer = strdup(string)!
            allocations.append(UnsafeMutableRawPointer(buffer))
            return buffer
        }

        var session = netsnmp_session()
        snmp_sess_init(&session)
        session.peername = copy(configuration.peer)
        session.timeout = timeoutMicroseconds
        session.retries = Int32(configuration.retries)
        switch configuration.version {
        case .v2c(let community):
            session.version = Int(SNMP_VERSION_2c)
            session.community = copy(Array(community.utf8))
            session.community_len = community.utf8.count
        case .v3(let security):
            session.version = Int(SNMP_VERSION_3)
            session.securityModel = SNMP_SEC_MODEL_USM
            session.securityName = copy(security.user)
            session.securityNameLen = security.user.utf8.count
            session.contextName = copy(security.contextName)
            session.contextNameLen = security.contextName.utf8.count
            if let engineID = security.engineID, !engineID.isEmpty {
                session.securityEngineID = copy(engineID)
                session.securityEngineIDLen = engineID.count
            }
            // Discovery happens below, where its error stays readable (see shim.h).
            session.flags |= UInt(SNMP_FLAGS_DONT_PROBE)
            try Self.configureKeys(&session, security)
        }

        guard let opened = NetSNMP.lock.withLock({ snmp_sess_open(&session) }) else {
            throw NetSNMP.error(structure: &session, fallback: .sessionOpenFailed,
                                "cannot open an SNMP session to \(configuration.peer)")
        }
        pointer = opened
        if case .v3(let security) = configuration.version, security.engineID?.isEmpty ?? true,
           snmpv3_engineID_probe(opened.assumingMemoryBound(to: session_list.self), snmp_sess_session(opened)) == 0 {
            let error = NetSNMP.error(session: opened, fallback: .sessionOpenFailed,
                                      "cannot discover the SNMPv3 engine ID of \(configuration.peer)")
            close()
            throw error
        }
    }

    private static func configureKeys(_ session: inout netsnmp_session, _ security: SNMPv3Security) throws(SNMPError) {
        switch security.level {
        case .noAuthNoPriv:
            session.securityLevel = SNMP_SEC_LEVEL_NOAUTH
            return
        case .authNoPriv: session.securityLevel = SNMP_SEC_LEVEL_AUTHNOPRIV
        case .authPriv: session.securityLevel = SNMP_SEC_LEVEL_AUTHPRIV
        }
        var length = 0
        let auth: UnsafePointer<oid> = switch security.authProtocol {
        case .md5: sansang_usm_auth_md5(&length)
        case .sha: sansang_usm_auth_sha(&length)
        case .sha224: sansang_usm_auth_sha224(&length)
        case .sha256: sansang_usm_auth_sha256(&length)
        case .sha384: sansang_usm_auth_sha384(&length)
        case .sha512: sansang_usm_auth_sha512(&length)
        }
        // The library never writes through the protocol pointers; it copies them when opening.
        session.securityAuthProto = UnsafeMutablePointer(mutating: auth)
        session.securityAuthProtoLen = length
        // Keys are derived from passphrases (Ku, RFC 3414 A.2); localisation to the engine happens later.
        session.securityAuthKeyLen = Int(USM_AUTH_KU_LEN)
        var status = withUnsafeMutableBytes(of: &session.securityAuthKey) { key in
            Array(security.authPassphrase.utf8).withUnsafeBufferPointer { phrase in
                generate_Ku(auth, UInt32(length), phrase.baseAddress, phrase.count,
                            key.baseAddress!.assumingMemoryBound(to: u_char.self), &session.securityAuthKeyLen)
            }
        }
        guard status == SNMPERR_SUCCESS else {
            throw SNMPError(.invalidArgument, "cannot derive a \(security.authProtocol) key from the authentication passphrase",
                            cause: .library(code: status, systemErrno: 0, text: "generate_Ku failed"))
        }
        guard security.level == .authPriv else { return }

        let privacy: UnsafePointer<oid> = switch security.privacyProtocol {
        case .des: sansang_usm_priv_des(&length)
        case .aes: sansang_usm_priv_aes(&length)
        case .aes192: sansang_usm_priv_aes192(&length)
        case .aes256: sansang_usm_priv_aes256(&length)
        }
        session.securityPrivProto = UnsafeMutablePointer(mutating: privacy)
        session.securityPrivProtoLen = length
        // The privacy key is derived with the authentication hash too (as snmpget does).
        session.securityPrivKeyLen = Int(USM_PRIV_KU_LEN)
        status = withUnsafeMutableBytes(of: &session.securityPrivKey) { key in
            Array(security.privacyPassphrase.utf8).withUnsafeBufferPointer { phrase in
                generate_Ku(auth, UInt32(session.securityAuthProtoLen), phrase.baseAddress, phrase.count,
                            key.baseAddress!.assumingMemoryBound(to: u_char.self), &session.securityPrivKeyLen)
            }
        }
        guard status == SNMPERR_SUCCESS else {
            throw SNMPError(.invalidArgument, "cannot derive a key from the privacy passphrase",
                            cause: .library(code: status, systemErrno: 0, text: "generate_Ku failed"))
        }
    }

    /// Sends one request and waits for the answer (blocking, up to timeout × (retries + 1)).
    func request(_ command: Int32, _ oids: [OID], nonRepeaters: Int, maxRepetitions: Int) throws(SNMPError) -> [VarBind] {
        guard let pointer else { throw SNMPError(.sessionClosed, "the SNMP session to \(configuration.peer) is closed") }
        if case .v3 = configuration.version { try refreshUser(pointer) }
        guard let pdu = snmp_pdu_create(command) else {
            throw SNMPError(.requestFailed, "cannot allocate a request PDU")
        }
        if command == SANSANG_SNMP_MSG_GETBULK {
            // net-snmp keeps these two in errstat / errindex (its non_repeaters / max_repetitions macros).
            pdu.pointee.errstat = nonRepeaters
            pdu.pointee.errindex = maxRepetitions
        }
        for oid in oids {
            _ = oid.components.withUnsafeBufferPointer { snmp_add_null_var(pdu, $0.baseAddress, $0.count) }
        }
        return try exchange(pointer, pdu, blaming: oids)
    }

    /// Sends an INFORM (waits for the acknowledgement) or an SNMPv2-Trap (sent once) with these bindings.
    func notify(_ command: Int32, _ bindings: [VarBind]) throws(SNMPError) {
        guard let pointer else { throw SNMPError(.sessionClosed, "the SNMP session to \(configuration.peer) is closed") }
        if case .v3 = configuration.version { try refreshUser(pointer) }
        guard let pdu = snmp_pdu_create(command) else {
            throw SNMPError(.requestFailed, "cannot allocate a notification PDU")
        }
        for binding in bindings where !binding.add(to: pdu) {
            snmp_free_pdu(pdu)
            throw SNMPError(.invalidArgument, "cannot encode \(binding) for a notification")
        }
        guard command == SANSANG_SNMP_MSG_TRAP2 else {
            _ = try exchange(pointer, pdu, blaming: bindings.map(\.oid))
            return
        }
        // snmp_sess_send frees the PDU only when it succeeds.
        guard snmp_sess_send(pointer, pdu) != 0 else {
            snmp_free_pdu(pdu)
            throw NetSNMP.error(session: pointer, fallback: .requestFailed, "cannot send a trap to \(configuration.peer)")
        }
    }

    /// Sends `pdu` (freeing it) and waits for the response (blocking, up to timeout × (retries + 1)).
    private func exchange(_ pointer: UnsafeMutableRawPointer, _ pdu: UnsafeMutablePointer<netsnmp_pdu>,
                          blaming oids: [OID]) throws(SNMPError) -> [VarBind] {
        var response: UnsafeMutablePointer<netsnmp_pdu>?
        // Frees `pdu` whatever happens.
        let status = snmp_sess_synch_response(pointer, pdu, &response)
        defer { if let response { snmp_free_pdu(response) } }

        switch status {
        case STAT_SUCCESS:
            guard let response else { throw SNMPError(.requestFailed, "no response PDU from \(configuration.peer)") }
            let errorStatus = response.pointee.errstat, errorIndex = response.pointee.errindex
            guard errorStatus == 0 else {
                let status = ErrorStatus(rawValue: errorStatus)
                let blamed = oids.indices.contains(errorIndex - 1) ? " for \(oids[errorIndex - 1])" : ""
                throw SNMPError(.protocolError(status), "\(configuration.peer) answered \(status)\(blamed)",
                                cause: .pdu(errorStatus: errorStatus, errorIndex: errorIndex))
            }
            var bindings: [VarBind] = []
            var variable = response.pointee.variables
            while let current = variable {
                bindings.append(VarBind(current.pointee))
                variable = current.pointee.next_variable
            }
            return bindings
        case STAT_TIMEOUT:
            throw NetSNMP.error(session: pointer, fallback: .timeout,
                                "no answer from \(configuration.peer) within \(configuration.timeout) × \(configuration.retries + 1) attempts")
        default:
            throw NetSNMP.error(session: pointer, fallback: .requestFailed, "SNMP request to \(configuration.peer) failed")
        }
    }

    /// The library keeps one USM user per (engine ID, user name) for the whole process and reuses it for any
    /// later session with that name, keeping the keys it was first created with. Re-create it from this
    /// session's keys before each request, so that sessions with different passphrases for the same user
    /// each use their own (v3 work is serialised on one thread, so nothing runs in between).
    private func refreshUser(_ pointer: UnsafeMutableRawPointer) throws(SNMPError) {
        guard let session = snmp_sess_session(pointer), session.pointee.securityEngineIDLen > 0 else { return }
        if let user = usm_get_user(session.pointee.securityEngineID, session.pointee.securityEngineIDLen,
                                   session.pointee.securityName) {
            usm_remove_user(user)
            usm_free_user(user)
        }
        session.pointee.flags &= ~UInt(SNMP_FLAGS_USER_CREATED)
        guard usm_create_user_from_session(session) == SNMPERR_SUCCESS else {
            throw SNMPError(.requestFailed, "cannot set up the SNMPv3 user \(configuration.version) for \(configuration.peer)")
        }
    }

    func close() {
        guard let pointer else { return }
        self.pointer = nil
        NetSNMP.lock.withLock { _ = snmp_sess_close(pointer) }
    }
}
