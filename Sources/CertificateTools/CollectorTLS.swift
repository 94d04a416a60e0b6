import Crypto
import Foundation
import SwiftASN1
import X509

/// Certificates for a province without a PKI (`sansang-collector tls init`), and what the collector tells about its
/// own certificate: the fingerprint read out with an enrolment code, the CA an enrolled agent pins.
public enum CollectorTLS {
    /// A private CA and a server certificate signed by it, all in PEM.
    public struct Material: Sendable {
        public var caCertificate: String
        public var caKey: String
        /// The server certificate followed by the CA's, as `tls.cert_file` wants it (the agent sees the chain).
        public var serverChain: String
        public var serverKey: String
    }

    /// Makes a CA (P-256, valid `caDays`) and a server certificate for `names` (DNS names or IP addresses, the first
    /// also its common name; valid `serverDays`). Pure but for the randomness of the keys.
    public static func makeMaterial(names: [String], caDays: Int = 3650, serverDays: Int = 825, now: Date = Date()) throws
        -> Material {
        guard let first = names.first else { throw TLSMaterialError("at least one --name is needed") }
        let start = now.addingTimeInterval(-300)
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName {
            OrganizationName("sansang")
            CommonName("sansang CA \(first)")
        }
        let caPublic = Certificate.PublicKey(caKey.publicKey)
        let ca = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: caPublic,
            notValidBefore: start, notValidAfter: now.addingTimeInterval(Double(caDays) * 86400),
            issuer: caName, subject: caName,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: caPublic)
            },
            issuerPrivateKey: .init(caKey))
        let serverKey = P256.Signing.PrivateKey()
        let serverPublic = Certificate.PublicKey(serverKey.publicKey)
        let alternativeNames = try names.map { name throws -> GeneralName in
            if let address = ipAddressBytes(name) { return .ipAddress(ASN1OctetString(contentBytes: address[...])) }
            guard isDNSName(name) else { throw TLSMaterialError("\(name) is neither a DNS name nor an IP address") }
            return .dnsName(name)
        }
        let serverAuth = try ExtendedKeyUsage([.serverAuth])
        let server = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: serverPublic,
            notValidBefore: start, notValidAfter: now.addingTimeInterval(Double(serverDays) * 86400),
            issuer: caName,
            subject: try DistinguishedName {
                OrganizationName("sansang")
                CommonName(first)
            },
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                serverAuth
                SubjectAlternativeNames(alternativeNames)
                SubjectKeyIdentifier(hash: serverPublic)
                AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: caPublic).keyIdentifier)
            },
            issuerPrivateKey: .init(caKey))
        let caPEM = try ca.serializeAsPEM().pemString + "\n"
        return Material(caCertificate: caPEM, caKey: caKey.pemRepresentation + "\n",
                        serverChain: try server.serializeAsPEM().pemString + "\n" + caPEM,
                        serverKey: serverKey.pemRepresentation + "\n")
    }

    /// `sha256:` and the SHA-256 of the first certificate's DER in upper-case hex pairs joined by colons, as
    /// `openssl x509 -fingerprint -sha256` shows it.
    public static func fingerprint(pem: String) throws -> String {
        guard let first = try PEMDocument.parseMultiple(pemString: pem).first(where: { $0.discriminator == "CERTIFICATE" }) else {
            throw TLSMaterialError("no certificate in the PEM text")
        }
        return fingerprint(der: first.derBytes)
    }

    public static func fingerprint(der: [UInt8]) -> String {
        "sha256:" + hexPairs(SHA256.hash(data: der))
    }

    /// `sha256:` and the SHA-256 of the certificate's SubjectPublicKeyInfo (its public key with the algorithm), as
    /// `openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256` gives it: what an
    /// agent pins, unchanged when the certificate is renewed with the same key.
    public static func publicKeyFingerprint(der: [UInt8]) throws -> String {
        let certificate = try Certificate(derEncoded: der)
        return "sha256:" + hexPairs(SHA256.hash(data: Array(certificate.publicKey.subjectPublicKeyInfoBytes)))
    }

    public static func publicKeyFingerprint(pem: String) throws -> String {
        guard let first = try PEMDocument.parseMultiple(pemString: pem).first(where: { $0.discriminator == "CERTIFICATE" }) else {
            throw TLSMaterialError("no certificate in the PEM text")
        }
        return try publicKeyFingerprint(der: first.derBytes)
    }

    /// A fingerprint as typed (`sha256:` optional, colons, spaces and case free) in the form `fingerprint` gives, or nil.
    public static func normalizedFingerprint(_ typed: String) -> String? {
        var text = typed.trimmingCharacters(in: .whitespaces)
        if text.lowercased().hasPrefix("sha256:") { text.removeFirst(7) }
        let hex = text.uppercased().filter { $0 != ":" && !$0.isWhitespace }
        guard hex.count == 64, hex.allSatisfy(\.isHexDigit) else { return nil }
        let pairs = stride(from: 0, to: 64, by: 2).map { offset -> String in
            let start = hex.index(hex.startIndex, offsetBy: offset)
            return String(hex[start..<hex.index(start, offsetBy: 2)])
        }
        return "sha256:" + pairs.joined(separator: ":")
    }

    /// The CA an enrolled agent should pin: the `ca_file` when there is one, else the last certificate of the chain
    /// when it is self-signed (a `tls init` chain or a self-signed certificate); nil for a chain up to a public CA.
    public static func pinnableCA(chainPEM: String, caPEM: String?) throws -> String? {
        if let caPEM { return caPEM }
        let documents = try PEMDocument.parseMultiple(pemString: chainPEM).filter { $0.discriminator == "CERTIFICATE" }
        guard let last = documents.last else { throw TLSMaterialError("no certificate in the chain") }
        let certificate = try Certificate(derEncoded: last.derBytes)
        return certificate.issuer == certificate.subject ? last.pemString + "\n" : nil
    }

    /// Whether the certificate (DER) names itself as its issuer: a root CA or a self-signed certificate.
    public static func isSelfSigned(der: [UInt8]) -> Bool {
        guard let certificate = try? Certificate(derEncoded: der) else { return false }
        return certificate.issuer == certificate.subject
    }

    /// Upper-case hex pairs joined by colons (no `String(format:)`: the agent computes this per connection).
    static func hexPairs(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789ABCDEF")
        return digest.map { String([digits[Int($0 >> 4)], digits[Int($0 & 15)]]) }.joined(separator: ":")
    }

    public static func isIPAddress(_ text: String) -> Bool { ipAddressBytes(text) != nil }

    static func ipAddressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    static func isDNSName(_ text: String) -> Bool {
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        return !text.isEmpty && text.count <= 253 && labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }
}

public struct TLSMaterialError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
