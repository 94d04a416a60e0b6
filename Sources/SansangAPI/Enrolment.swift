import Foundation

/// `POST /api/v1/enroll`: a one-time code (from `sansang-collector enroll issue SITE`) exchanged for the site token.
/// No bearer token: the code is the credential. A code issued for another site is refused (`site_mismatch`).
public struct EnrolmentRequest: Sendable, Hashable, Codable {
    public var site: String
    /// As read over the phone: case, spaces and dashes do not matter (`7kq4 m2xd 9pha` = `7KQ4-M2XD-9PHA`).
    public var code: String

    public init(site: String, code: String) {
        self.site = site
        self.code = code
    }
}

/// The answer to an accepted code: the site token (shown only now) and, when the collector's certificate comes
/// from a private CA (`sansang-collector tls init`) or is self-signed, that CA in PEM so that the agent pins it.
public struct EnrolmentResponse: Sendable, Hashable, Codable {
    public var site: String
    public var token: String
    public var caPEM: String?

    enum CodingKeys: String, CodingKey {
        case site, token
        case caPEM = "ca_pem"
    }

    public init(site: String, token: String, caPEM: String?) {
        self.site = site
        self.token = token
        self.caPEM = caPEM
    }
}
