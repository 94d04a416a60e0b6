import CollectorCore
import Crypto
import Foundation

/// The CSRF token of the login form, which no session protects yet (a signed double-submit cookie): showing the
/// form sets a random nonce in a cookie of its own (`sansang_login`: HttpOnly, SameSite=Strict, path `/login`, one
/// hour) and puts HMAC-SHA256(nonce) in the form; a login is only tried when the form's token is the HMAC of the
/// cookie's nonce. Another site can neither read the cookie nor have the browser send it (SameSite=Strict), so it
/// cannot log a NOC user into an account of its choosing; a cookie planted from a sibling host does not help without
/// the key, which is random per collector process (a form shown before a restart is refused once, then shown again).
public struct LoginFormTokens: Sendable {
    static let cookie = "sansang_login"
    static let lifetimeSeconds = 3600
    /// The HMAC key's 32 bytes (kept as bytes: `SymmetricKey` is not `Sendable`).
    private let key: [UInt8]

    public init() {
        var generator = SystemRandomNumberGenerator()
        key = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// A fresh nonce (for the cookie) and the token the form carries.
    func issue() -> (nonce: String, token: String) {
        let nonce = SessionAuthority.randomToken()
        return (nonce, token(for: nonce))
    }

    func token(for nonce: String) -> String {
        TokenAuthority.base64URL(Data(HMAC<SHA256>.authenticationCode(for: Data(nonce.utf8), using: SymmetricKey(data: key))))
    }

    /// Whether `token` (from the form) belongs to `nonce` (from the cookie); false when either is missing.
    func accepts(token: String?, nonce: String?) -> Bool {
        guard let token, let nonce, !nonce.isEmpty else { return false }
        return SessionAuthority.sameSecret(token, self.token(for: nonce))
    }

    /// The `Set-Cookie` value that carries `nonce`.
    func cookie(_ nonce: String, secure: Bool) -> String {
        "\(Self.cookie)=\(nonce); Path=/login; HttpOnly; SameSite=Strict; Max-Age=\(Self.lifetimeSeconds)" + (secure ? "; Secure" : "")
    }
}
