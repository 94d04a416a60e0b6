/// Where a notification goes and how: the session (address, credentials, per-attempt timeout and library
/// retries) and whether it is an INFORM (acknowledged, retried until it is) or a TRAP (sent once).
public struct NotificationTarget: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case inform, trap
    }

    public var session: SNMPSessionConfiguration
    public var kind: Kind

    public init(session: SNMPSessionConfiguration = SNMPSessionConfiguration(peer: "udp:127.0.0.1:162", timeout: .seconds(2)),
                kind: Kind = .inform) {
        self.session = session
        self.kind = kind
    }

    /// "inform udp:198.18.0.1:162 v3 user …", for logs (never a passphrase or community).
    public var name: String { "\(kind.rawValue) \(session.peer) \(session.version)" }
}
