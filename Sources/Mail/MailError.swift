/// A failed mail operation: a stable `code` to branch on, a `message` for people and the underlying `cause`
/// (libcurl's error and the server's last reply, or the system error).
public struct MailError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, Codable {
        /// The server could not be reached or closed the connection.
        case connectionFailed = "smtp_connection_failed"
        /// STARTTLS was required but not offered or refused, or the TLS handshake or certificate check failed.
        case tlsFailed = "smtp_tls_failed"
        /// The server refused the user name or password (or requires a login that was not configured).
        case authenticationFailed = "smtp_auth_failed"
        /// The server refused the envelope sender (MAIL FROM).
        case senderRefused = "smtp_sender_refused"
        /// The server refused a recipient (RCPT TO).
        case recipientRefused = "smtp_recipient_refused"
        /// The server refused the message itself (DATA or after its end), or answered out of protocol.
        case rejected = "smtp_rejected"
        /// No answer within the configured timeouts.
        case timeout = "smtp_timeout"
        /// The send was cancelled (shutdown).
        case cancelled = "smtp_cancelled"
        /// A setting libcurl does not accept (e.g. a URL that is not smtp:// or smtps://).
        case invalidSettings = "smtp_invalid_settings"
        /// A message that cannot be sent: no recipients, or an address that is not plausible.
        case invalidMessage = "mail_invalid_message"
        /// The outbox directory could not be read or written.
        case storage = "outbox_storage"
    }

    public var code: Code
    public var message: String
    public var cause: String?
    /// The server's last SMTP reply code, when there was one.
    public var responseCode: Int?

    public init(_ code: Code, _ message: String, cause: String? = nil, responseCode: Int? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
        self.responseCode = responseCode
    }

    /// The server refused this message for good (a 5xx reply to its sender, a recipient or its content):
    /// sending it again unchanged will fail again. Authentication and TLS failures are not permanent: they
    /// are fixed in the settings or on the server, and the message waits for that.
    public var isPermanent: Bool {
        switch code {
        case .senderRefused, .recipientRefused, .rejected: (responseCode ?? 0) >= 500
        case .invalidMessage: true
        default: false
        }
    }

    public var description: String {
        "\(code.rawValue): \(message)" + (cause.map { " (\($0))" } ?? "")
    }
}
