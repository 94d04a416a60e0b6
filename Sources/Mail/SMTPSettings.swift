/// How to reach the SMTP server. Every field has a default (a local relay on port 25, STARTTLS required).
public struct SMTPSettings: Sendable, Hashable {
    /// When TLS is used on an `smtp://` URL; an `smtps://` URL is always TLS from the first byte.
    public enum Security: String, Sendable, Hashable, Codable, CaseIterable {
        /// STARTTLS is required: a server that does not offer it gets nothing, not even the login.
        case starttls
        /// STARTTLS when the server offers it, plain text otherwise.
        case opportunistic
        /// Never TLS on `smtp://` (a relay on the same host).
        case none
    }

    /// `smtp://host:port` (STARTTLS per `security`) or `smtps://host:port` (implicit TLS, usually port 465).
    public var url: String
    public var security: Security
    public var username: String?
    public var password: String?
    /// PEM file of the CA certificates to trust instead of the system's.
    public var caFile: String?
    /// Check the server's certificate and name. Turn off only for a lab server.
    public var verifyPeer: Bool
    public var connectTimeout: Duration
    /// For the whole transaction, connection included.
    public var timeout: Duration
    /// The name sent in EHLO; libcurl sends `localhost` when nil.
    public var heloName: String?

    public init(url: String = "smtp://127.0.0.1:25", security: Security = .starttls, username: String? = nil,
                password: String? = nil, caFile: String? = nil, verifyPeer: Bool = true,
                connectTimeout: Duration = .seconds(10), timeout: Duration = .seconds(60), heloName: String? = nil) {
        self.url = url
        self.security = security
        self.username = username
        self.password = password
        self.caFile = caFile
        self.verifyPeer = verifyPeer
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.heloName = heloName
    }
}
