/// Why a throughput test failed, with a stable machine-readable code.
public struct ThroughputError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, Codable, CaseIterable {
        /// Nothing listens on the server's port (connection refused).
        case refused
        /// The server is running another test (ACCESS_DENIED) for the whole retry window.
        case serverBusy = "server_busy"
        /// The server reported an error (SERVER_ERROR, SERVER_TERMINATE) or closed before the test started.
        case serverError = "server_error"
        /// The connection was reset or closed while the test was running.
        case resetMidTest = "reset_mid_test"
        /// The server did not answer within the configured timeout.
        case timeout
        /// The host could not be resolved or reached (no route, DNS failure).
        case unreachable
        /// The server said something the protocol does not allow.
        case protocolViolation = "protocol_violation"
        /// The test's parameters are out of range.
        case invalidConfiguration = "invalid_configuration"
    }

    public var code: Code
    public var message: String
    /// The underlying cause (an errno text, the server's error code), when there is one.
    public var cause: String?
    /// Bytes the test's streams had sent and received when it failed (a partial test uses the link too, and
    /// is charged to the daily budget).
    public var bytesMoved: UInt64 = 0

    public init(_ code: Code, _ message: String, cause: String? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        cause.map { "\(code.rawValue): \(message) (\($0))" } ?? "\(code.rawValue): \(message)"
    }
}
