import CNetSNMP
import Foundation
import Synchronization

/// Something the loop watches: an open session (its socket and its requests' timers) or a notification receiver.
/// Used on the loop's thread only.
protocol SNMPLoopMember: AnyObject {
    /// The socket to wait on; nil when there is none (closed).
    var descriptor: Int32? { get }
    /// Microseconds until the earliest timer of this member is due (0 when overdue); nil when none runs.
    func microsecondsUntilDue() -> Int64?
    /// The socket has something to read.
    func readable()
    /// Gives the library its chance to retry or time out what is due.
    func timersDue()
}

/// The one thread that does every net-snmp call of the process, and never waits for a peer.
///
/// The library keeps SNMPv3 state (USM users, engine times) in unlocked globals, so all its work is confined to
/// this thread. Nothing here blocks on the network: requests go out with `snmp_sess_async_send`, and the thread
/// waits in `poll` for the sockets of every session and receiver, for the earliest request timer, and for jobs
/// queued by other threads; answers, retries and timeouts are handled as they come. An INFORM to a manager that
/// never answers only holds its own request: the receiver's acknowledgements and other sessions' requests go on.
/// (Opening a session resolves a host name with the system resolver: configure addresses, not names, where a
/// slow DNS server would matter.)
final class SNMPEventLoop: @unchecked Sendable {
    static let shared = SNMPEventLoop(name: "snmp")

    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let wake: (read: Int32, write: Int32)
    // The loop's thread only.
    private var members: [ObjectIdentifier: any SNMPLoopMember] = [:]
    private var requests: [Int: PendingRequest] = [:]
    private var nextToken = 1

    private init(name: String) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { fatalError("\(name): cannot create its wake-up pipe: errno \(errno)") }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        wake = (fds[0], fds[1])
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    /// Queues `job` to run on the loop's thread, in submission order.
    func submit(_ job: @escaping @Sendable () -> Void) {
        jobs.withLock { $0.append(job) }
        var byte: UInt8 = 1
        // A full pipe already wakes the loop: EAGAIN is fine.
        _ = write(wake.write, &byte, 1)
    }

    /// Runs `body` on the loop's thread and returns its value.
    func perform<T: Sendable>(_ body: @escaping @Sendable () throws(SNMPError) -> T) async throws(SNMPError) -> T {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, SNMPError>, Never>) in
            submit { continuation.resume(returning: Result { () throws(SNMPError) in try body() }) }
        }
        return try result.get()
    }

    /// Runs `body` on the loop's thread and returns its value.
    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            submit { continuation.resume(returning: body()) }
        }
    }

    // MARK: the loop's thread

    func add(_ member: any SNMPLoopMember) { members[ObjectIdentifier(member)] = member }

    func remove(_ member: any SNMPLoopMember) { members[ObjectIdentifier(member)] = nil }

    private func run() {
        var descriptors: [pollfd] = []
        var watched: [any SNMPLoopMember] = []
        while true {
            let batch = jobs.withLock { jobs in
                defer { jobs = [] }
                return jobs
            }
            for job in batch { job() }

            descriptors = [pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
            watched = []
            var wait: Int64 = -1
            for member in members.values {
                if let descriptor = member.descriptor {
                    descriptors.append(pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0))
                    watched.append(member)
                }
                if let due = member.microsecondsUntilDue() {
                    // Rounded up: the library retries a request only once its time has strictly passed.
                    let milliseconds = due / 1000 + 1
                    wait = wait < 0 ? milliseconds : min(wait, milliseconds)
                }
            }
            let ready = poll(&descriptors, nfds_t(descriptors.count), Int32(clamping: wait))
            if ready < 0 && errno != EINTR { fatalError("snmp loop: poll failed: errno \(errno)") }
            if ready > 0 {
                if descriptors[0].revents != 0 { drainWakePipe() }
                for (index, member) in watched.enumerated() where descriptors[index + 1].revents != 0 {
                    // A member closed by an earlier one's callback is gone from `members`.
                    if members[ObjectIdentifier(member)] != nil { member.readable() }
                }
            }
            for member in members.values { member.timersDue() }
        }
    }

    private func drainWakePipe() {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(wake.read, &buffer, buffer.count) > 0 {}
    }

    // MARK: requests

    /// Sends `pdu` on `session` and returns what came back: the response, a report, a timeout or a failure.
    /// The PDU is the library's from here on (freed whatever happens). Call from any thread but the loop's.
    func send(_ session: SessionHandle, probe: Bool = false,
              _ build: @escaping @Sendable () throws(SNMPError) -> UnsafeMutablePointer<netsnmp_pdu>) async -> RequestOutcome {
        await withCheckedContinuation { (continuation: CheckedContinuation<RequestOutcome, Never>) in
            submit { [self] in
                let pdu: UnsafeMutablePointer<netsnmp_pdu>
                do throws(SNMPError) {
                    pdu = try build()
                } catch {
                    continuation.resume(returning: .failed(error))
                    return
                }
                start(session, pdu, probe: probe, continuation)
            }
        }
    }

    private func start(_ session: SessionHandle, _ pdu: UnsafeMutablePointer<netsnmp_pdu>, probe: Bool,
                       _ continuation: CheckedContinuation<RequestOutcome, Never>) {
        guard let pointer = session.pointer else {
            snmp_free_pdu(pdu)
            continuation.resume(returning: .failed(SNMPError(.sessionClosed, "the SNMP session to \(session.peer) is closed")))
            return
        }
        // After a successful send the library owns the PDU (and frees a trap at once): decide this first.
        let command = pdu.pointee.command
        let expectsResponse = command != SANSANG_SNMP_MSG_TRAP2 && command != SANSANG_SNMP_MSG_RESPONSE
            && command != SANSANG_SNMP_MSG_REPORT
        let token = nextToken
        nextToken += 1
        requests[token] = PendingRequest(session: session, probe: probe, continuation: continuation)
        // The callback data is the token, not an object: a callback that comes after we finished the request
        // (the library calls some twice) finds nothing and does nothing.
        let sent = snmp_sess_async_send(pointer, pdu, { operation, _, _, pdu, magic in
            SNMPEventLoop.shared.callback(operation, pdu, token: Int(bitPattern: magic))
            return 1
        }, UnsafeMutableRawPointer(bitPattern: token))
        guard sent != 0 else {
            snmp_free_pdu(pdu)
            finish(token, .failed(NetSNMP.error(session: pointer, fallback: .requestFailed, "cannot send to \(session.peer)")))
            return
        }
        if !expectsResponse {
            // A trap: sent, nothing comes back.
            finish(token, .response(errorStatus: 0, errorIndex: 0, bindings: []))
        }
    }

    /// Fails every request still waiting on `session` (before it is closed).
    func failRequests(of session: SessionHandle) {
        for (token, request) in requests where request.session === session {
            finish(token, .failed(SNMPError(.sessionClosed, "the SNMP session to \(session.peer) was closed")))
        }
    }

    func hasRequests(of session: SessionHandle) -> Bool { requests.values.contains { $0.session === session } }

    private func callback(_ operation: Int32, _ pdu: UnsafeMutablePointer<netsnmp_pdu>?, token: Int) {
        guard let request = requests[token] else { return }
        switch operation {
        case NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE:
            guard let pdu else { return }
            if pdu.pointee.command == SANSANG_SNMP_MSG_REPORT {
                let type = snmpv3_get_report_type(pdu)
                // The first authenticated request to an engine learns its time from this report; the library
                // sends the request again (or calls back with SEC_ERROR when no retry is left).
                if type == SNMPERR_NOT_IN_TIME_WINDOW, !request.probe { return }
                finish(token, .report(type, engineID: Array(UnsafeBufferPointer(start: pdu.pointee.securityEngineID,
                                                                                count: pdu.pointee.securityEngineIDLen)),
                                      text: Self.text(type)))
            } else {
                var bindings: [VarBind] = []
                var variable = pdu.pointee.variables
                while let current = variable {
                    bindings.append(VarBind(current.pointee))
                    variable = current.pointee.next_variable
                }
                finish(token, .response(errorStatus: pdu.pointee.errstat, errorIndex: pdu.pointee.errindex, bindings: bindings))
            }
        case NETSNMP_CALLBACK_OP_TIMED_OUT:
            finish(token, .timedOut)
        case NETSNMP_CALLBACK_OP_SEC_ERROR:
            if let pdu, pdu.pointee.command == SANSANG_SNMP_MSG_REPORT {
                let type = snmpv3_get_report_type(pdu)
                finish(token, .report(type, engineID: [], text: Self.text(type)))
            } else if let pointer = request.session.pointer {
                finish(token, .failed(NetSNMP.error(session: pointer, fallback: .requestFailed,
                                                    "the SNMPv3 request to \(request.session.peer) failed")))
            }
        case NETSNMP_CALLBACK_OP_SEND_FAILED:
            if let pointer = request.session.pointer {
                finish(token, .failed(NetSNMP.error(session: pointer, fallback: .requestFailed, "cannot send to \(request.session.peer)")))
            }
        default:
            break
        }
    }

    /// The library's words for one of its errors.
    private static func text(_ code: Int32) -> String { snmp_api_errstring(code).map { String(cString: $0) } ?? "" }

    private func finish(_ token: Int, _ outcome: RequestOutcome) {
        guard let request = requests.removeValue(forKey: token) else { return }
        request.continuation.resume(returning: outcome)
    }
}

/// What became of one request.
enum RequestOutcome: Sendable {
    /// A Response PDU (for a trap: sent).
    case response(errorStatus: Int, errorIndex: Int, bindings: [VarBind])
    /// An SNMPv3 Report instead: the library's SNMPERR_* for its kind, and the reporting engine.
    case report(Int32, engineID: [UInt8], text: String)
    /// No answer within timeout × (retries + 1).
    case timedOut
    case failed(SNMPError)
}

/// A request the library holds, until its callback says how it ended.
private final class PendingRequest {
    let session: SessionHandle
    let probe: Bool
    let continuation: CheckedContinuation<RequestOutcome, Never>

    init(session: SessionHandle, probe: Bool, continuation: CheckedContinuation<RequestOutcome, Never>) {
        self.session = session
        self.probe = probe
        self.continuation = continuation
    }
}
