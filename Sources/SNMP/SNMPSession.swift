import CNetSNMP
import Foundation
import SystemSupport

/// An open session with one agent. Every library call runs on the process's one SNMP thread
/// (`SNMPEventLoop`), and no call waits for the peer there: requests are sent asynchronously and their answers,
/// retries and timeouts come back through the loop, so a slow or silent peer delays only its own requests.
/// Several requests may be in flight on one session. Close it with `close()` or use `withSNMPSession`; it is also
/// closed when released.
public final class SNMPSession: Sendable {
    public let configuration: SNMPSessionConfiguration
    let handle: SessionHandle
    private var loop: SNMPEventLoop { .shared }

    private init(configuration: SNMPSessionConfiguration, handle: SessionHandle) {
        self.configuration = configuration
        self.handle = handle
    }

    /// Opens a session. For SNMPv3 without a configured engine ID this discovers it (one round trip), so an
    /// unreachable agent fails here with `.timeout`.
    public static func open(_ configuration: SNMPSessionConfiguration) async throws(SNMPError) -> SNMPSession {
        var settings = try SessionSettings(configuration)
        if case .v3(let security) = configuration.version, security.level != .noAuthNoPriv {
            // Key derivation hashes a megabyte per key: CPU work kept off the SNMP thread, which serves everyone.
            settings.keys = try await BlockingPool.shared.run {
                Result { () throws(SNMPError) in try SessionHandle.deriveKeys(security) }
            }.get()
        }
        let loop = SNMPEventLoop.shared
        let opening = settings
        let handle = try await loop.perform { () throws(SNMPError) in try SessionHandle(opening: opening) }
        let session = SNMPSession(configuration: configuration, handle: handle)
        if case .v3(let security) = configuration.version, security.engineID?.isEmpty ?? true {
            // RFC 3414 §4: a noAuthNoPriv GET without bindings; the agent's Report names its engine, which the
            // library records in the session as it handles the report.
            let outcome = await loop.send(handle, probe: true) { () throws(SNMPError) in
                guard let pdu = sansang_engine_probe_pdu() else {
                    throw SNMPError(.requestFailed, "cannot allocate an engine ID probe")
                }
                return pdu
            }
            // The library records the engine from the Report once our callback has returned: ask the session.
            let known = if case .report = outcome { await loop.run { handle.knowsEngineID } } else { false }
            let discovered: SNMPError? = switch outcome {
            case .report where known: nil
            case .report(let code, _, let text):
                SNMPError(.sessionOpenFailed, "\(configuration.peer) answered the engine ID probe without naming its engine",
                          cause: .library(code: code, systemErrno: 0, text: text))
            case .timedOut:
                SNMPError(.timeout, "cannot discover the SNMPv3 engine ID of \(configuration.peer): no answer within "
                          + "\(configuration.timeout) × \(configuration.retries + 1) attempts",
                          cause: .library(code: SNMPERR_TIMEOUT, systemErrno: 0, text: "Timeout"))
            case .response:
                SNMPError(.sessionOpenFailed, "\(configuration.peer) answered the engine ID probe without a report")
            case .failed(let error): error
            }
            if let discovered {
                await session.close()
                throw discovered
            }
        }
        return session
    }

    /// Opens a session for sending SNMPv2-Traps (`trap`). For SNMPv3 the sender of a trap is the authoritative
    /// engine (RFC 3414 §3.2): the session uses this process's own engine ID (`localEngineID()`), engine boots and
    /// time, never contacts the peer, and ignores a configured `engineID`. The receiver must know the user under
    /// that engine ID (snmptrapd: `createUser -e <hex>`). For v2c this is the same as `open`.
    /// Use `open` for INFORMs, whose receiver is the authoritative engine.
    public static func openForTraps(_ configuration: SNMPSessionConfiguration) async throws(SNMPError) -> SNMPSession {
        guard case .v3(var security) = configuration.version else { return try await open(configuration) }
        security.engineID = try await SNMPEventLoop.shared.perform { () throws(SNMPError) in
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
        (try? await SNMPEventLoop.shared.perform { NetSNMP.initialize(); return NetSNMP.localEngineID() }) ?? []
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

    /// Closes the session; requests in flight or sent later fail with `.sessionClosed`. Closing twice is harmless.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            loop.submit { [handle] in
                handle.close()
                continuation.resume()
            }
        }
    }

    deinit {
        loop.submit { [handle] in handle.close() }
    }

    private func perform(_ command: Int32, _ oids: [OID], nonRepeaters: Int = 0, maxRepetitions: Int = 0) async throws(SNMPError) -> [VarBind] {
        guard !oids.isEmpty else { throw SNMPError(.invalidArgument, "a request needs at least one OID") }
        guard !Task.isCancelled else { throw SNMPError(.cancelled, "cancelled before the request to \(configuration.peer)") }
        let outcome = await loop.send(handle) { [handle] () throws(SNMPError) in
            try handle.requestPDU(command, oids, nonRepeaters: nonRepeaters, maxRepetitions: maxRepetitions)
        }
        return try handle.bindings(outcome, blaming: oids)
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
    /// The SNMPv3 keys derived from the passphrases (Ku), when the level needs them.
    var keys: SessionHandle.Keys?

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

/// The library's session: owned by one SNMPSession, used only on the SNMP loop's thread, closed exactly once.
final class SessionHandle: SNMPLoopMember, @unchecked Sendable {
    private(set) var pointer: UnsafeMutableRawPointer?
    private let configuration: SNMPSessionConfiguration
    private let timeoutMicroseconds: Int

    var peer: String { configuration.peer }

    /// Whether the session has the peer's SNMPv3 engine ID (configured or discovered).
    var knowsEngineID: Bool {
        guard let pointer, let session = snmp_sess_session(pointer) else { return false }
        return session.pointee.securityEngineIDLen > 0
    }

    /// Opens the session and joins the loop (on the loop's thread: v3 key derivation happens here, no network).
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
            try Self.configureKeys(&session, security, keys: settings.keys)
        }

        guard let opened = NetSNMP.lock.withLock({ snmp_sess_open(&session) }) else {
            throw NetSNMP.error(structure: &session, fallback: .sessionOpenFailed,
                                "cannot open an SNMP session to \(configuration.peer)")
        }
        pointer = opened
        // The library would discover a missing engine ID with a blocking exchange inside the first send: the
        // session discovers it with a request of its own instead (`SNMPSession.open`).
        snmp_sess_session(opened)?.pointee.flags |= UInt(SNMP_FLAGS_DONT_PROBE)
        SNMPEventLoop.shared.add(self)
    }

    // MARK: SNMPLoopMember

    var descriptor: Int32? {
        guard let pointer else { return nil }
        let socket = sansang_sess_socket(pointer)
        return socket >= 0 ? socket : nil
    }

    func microsecondsUntilDue() -> Int64? {
        guard let pointer else { return nil }
        let due = sansang_sess_next_timeout_us(pointer)
        return due >= 0 ? due : nil
    }

    func readable() {
        guard let pointer, let descriptor else { return }
        _ = sansang_sess_read_fd(pointer, descriptor)
    }

    func timersDue() {
        guard let pointer else { return }
        snmp_sess_timeout(pointer)
    }

    /// Ku of the authentication and privacy passphrases (RFC 3414 A.2), derived as the library does: pure CPU
    /// work with no library state, so any thread may do it.
    struct Keys: Sendable {
        var auth: [UInt8]
        var privacy: [UInt8]
    }

    static func deriveKeys(_ security: SNMPv3Security) throws(SNMPError) -> Keys {
        var scratch = netsnmp_session()
        try configureKeys(&scratch, security, keys: nil)
        let auth = withUnsafeBytes(of: scratch.securityAuthKey) { Array($0.prefix(scratch.securityAuthKeyLen)) }
        let privacy = withUnsafeBytes(of: scratch.securityPrivKey) { Array($0.prefix(scratch.securityPrivKeyLen)) }
        return Keys(auth: auth, privacy: privacy)
    }

    /// Sets the level, the protocols and the keys: `keys` derived beforehand, or derived here when nil.
    private static func configureKeys(_ session: inout netsnmp_session, _ security: SNMPv3Security, keys: Keys?) throws(SNMPError) {
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
        if let keys {
            withUnsafeMutableBytes(of: &session.securityAuthKey) { $0.copyBytes(from: keys.auth.prefix($0.count)) }
            session.securityAuthKeyLen = keys.auth.count
            if security.level == .authPriv {
                session.securityPrivProto = UnsafeMutablePointer(mutating: privacyProtocol(security, &length))
                session.securityPrivProtoLen = length
                withUnsafeMutableBytes(of: &session.securityPrivKey) { $0.copyBytes(from: keys.privacy.prefix($0.count)) }
                session.securityPrivKeyLen = keys.privacy.count
            }
            return
        }
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

        let privacy = privacyProtocol(security, &length)
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

    private static func privacyProtocol(_ security: SNMPv3Security, _ length: inout Int) -> UnsafePointer<oid> {
        switch security.privacyProtocol {
        case .des: sansang_usm_priv_des(&length)
        case .aes: sansang_usm_priv_aes(&length)
        case .aes192: sansang_usm_priv_aes192(&length)
        case .aes256: sansang_usm_priv_aes256(&length)
        }
    }

    /// The PDU of one request (on the loop's thread).
    func requestPDU(_ command: Int32, _ oids: [OID], nonRepeaters: Int, maxRepetitions: Int) throws(SNMPError) -> UnsafeMutablePointer<netsnmp_pdu> {
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
        return pdu
    }

    /// The PDU of an INFORM or an SNMPv2-Trap with these bindings (on the loop's thread).
    func notificationPDU(_ command: Int32, _ bindings: [VarBind]) throws(SNMPError) -> UnsafeMutablePointer<netsnmp_pdu> {
        guard let pointer else { throw SNMPError(.sessionClosed, "the SNMP session to \(configuration.peer) is closed") }
        if case .v3 = configuration.version { try refreshUser(pointer) }
        guard let pdu = snmp_pdu_create(command) else {
            throw SNMPError(.requestFailed, "cannot allocate a notification PDU")
        }
        for binding in bindings where !binding.add(to: pdu) {
            snmp_free_pdu(pdu)
            throw SNMPError(.invalidArgument, "cannot encode \(binding) for a notification")
        }
        return pdu
    }

    /// The bindings of a response, or the error that came instead (pure: any thread).
    func bindings(_ outcome: RequestOutcome, blaming oids: [OID]) throws(SNMPError) -> [VarBind] {
        switch outcome {
        case .response(let errorStatus, let errorIndex, let bindings):
            guard errorStatus == 0 else {
                let status = ErrorStatus(rawValue: errorStatus)
                let blamed = oids.indices.contains(errorIndex - 1) ? " for \(oids[errorIndex - 1])" : ""
                throw SNMPError(.protocolError(status), "\(configuration.peer) answered \(status)\(blamed)",
                                cause: .pdu(errorStatus: errorStatus, errorIndex: errorIndex))
            }
            return bindings
        case .report(let code, _, let text):
            throw SNMPError(SNMPError.Code(libraryError: code, fallback: .requestFailed),
                            "\(configuration.peer) refused the request with a report (\(text))",
                            cause: .library(code: code, systemErrno: 0, text: text))
        case .timedOut:
            throw SNMPError(.timeout, "no answer from \(configuration.peer) within \(configuration.timeout) × \(configuration.retries + 1) attempts",
                            cause: .library(code: SNMPERR_TIMEOUT, systemErrno: 0, text: "Timeout"))
        case .failed(let error):
            throw error
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

    /// Fails the requests in flight, leaves the loop and closes the library's session (on the loop's thread).
    func close() {
        guard let pointer else { return }
        SNMPEventLoop.shared.failRequests(of: self)
        SNMPEventLoop.shared.remove(self)
        self.pointer = nil
        NetSNMP.lock.withLock { _ = snmp_sess_close(pointer) }
    }
}
