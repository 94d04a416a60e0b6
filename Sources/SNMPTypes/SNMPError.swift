/// A failed SNMP operation: a stable `code` to branch on, a `message` for people, and the underlying `cause`.
public struct SNMPError: Error, Sendable, CustomStringConvertible {
    public enum Code: Hashable, Sendable {
        /// A configuration or request value that cannot work (a passphrase under 8 characters, no OIDs, …).
        case invalidArgument
        /// The library could not open the session (e.g. the peer address does not parse or resolve).
        case sessionOpenFailed
        /// The session was closed before or while the operation was queued.
        case sessionClosed
        /// No answer within timeout × (retries + 1). A v2c agent also stays silent on a wrong community.
        case timeout
        /// SNMPv3: the agent reported a wrong digest (wrong authentication passphrase or protocol).
        case authenticationFailure
        /// SNMPv3: the agent does not know the user.
        case unknownUser
        /// SNMPv3: the agent reported an unknown engine ID (e.g. a wrong configured engine ID).
        case unknownEngineID
        /// SNMPv3: the agent could not decrypt the request (wrong privacy passphrase or protocol).
        case decryptionFailure
        /// SNMPv3: the agent does not allow this user at this security level.
        case unsupportedSecurityLevel
        /// SNMPv3: the agent's engine time check failed.
        case notInTimeWindow
        /// The agent answered with a non-zero error-status (RFC 3416), e.g. tooBig, genErr, noSuchName (v1).
        case protocolError(ErrorStatus)
        /// An OID that is not numeric dotted notation, too long, or has a sub-identifier over 32 bits.
        case badOID
        /// A walk got an OID that does not follow the previous one: the agent is broken; stopped, not looped.
        case notIncreasing
        /// The task was cancelled (checked between the requests of a walk, and before queueing one).
        case cancelled
        /// Any other library failure; see `cause`.
        case requestFailed
    }

    /// What the library or the agent said.
    public enum Cause: Sendable, Hashable {
        /// net-snmp's error (snmp_sess_error): its SNMPERR_* number, the system errno, and its text.
        case library(code: Int32, systemErrno: Int32, text: String)
        /// The response PDU's error-status and error-index (1-based; 0 when no variable is blamed).
        case pdu(errorStatus: Int, errorIndex: Int)
    }

    public let code: Code
    public let message: String
    public let cause: Cause?

    public init(_ code: Code, _ message: String, cause: Cause? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        switch cause {
        case .library(let code, let systemErrno, let text):
            "\(message) (net-snmp \(code): \(text)\(systemErrno != 0 ? ", errno \(systemErrno)" : ""))"
        case .pdu(let status, let index): "\(message) (error-status \(status), error-index \(index))"
        case nil: message
        }
    }
}

/// An SNMP error-status (RFC 3416 §3), open to values this list does not name.
public struct ErrorStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let tooBig = ErrorStatus(rawValue: 1)
    public static let noSuchName = ErrorStatus(rawValue: 2)
    public static let badValue = ErrorStatus(rawValue: 3)
    public static let readOnly = ErrorStatus(rawValue: 4)
    public static let genErr = ErrorStatus(rawValue: 5)
    public static let noAccess = ErrorStatus(rawValue: 6)
    public static let authorizationError = ErrorStatus(rawValue: 16)

    private static let names = [
        "noError", "tooBig", "noSuchName", "badValue", "readOnly", "genErr", "noAccess", "wrongType",
        "wrongLength", "wrongEncoding", "wrongValue", "noCreation", "inconsistentValue", "resourceUnavailable",
        "commitFailed", "undoFailed", "authorizationError", "notWritable", "inconsistentName",
    ]

    public var description: String { Self.names.indices.contains(rawValue) ? Self.names[rawValue] : "error-status \(rawValue)" }
}
