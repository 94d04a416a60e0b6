import CertificateTools
import CollectorCore
import Foundation
import HummingbirdTLS
import NIOCore
import NIOSSL
import Synchronization

/// The collector's certificate chain and key, read from `tls.cert_file` and `tls.key_file` and replaced on
/// SIGHUP: each TLS handshake takes the pair current at that moment, so connections already open keep theirs
/// and nothing is dropped. A pair that cannot be read, or whose key does not match the certificate, is refused
/// and the running one kept.
public final class ReloadableCertificate: Sendable {
    public let certFile: String
    public let keyFile: String
    private let current: Mutex<(chain: [NIOSSLCertificate], key: NIOSSLPrivateKey)>

    public init(certFile: String, keyFile: String) throws {
        self.certFile = certFile
        self.keyFile = keyFile
        current = Mutex(try Self.read(certFile: certFile, keyFile: keyFile))
    }

    /// Reads both files again; throws (keeping the running pair) when they are unusable.
    public func reload() throws {
        let pair = try Self.read(certFile: certFile, keyFile: keyFile)
        current.withLock { $0 = pair }
    }

    /// The fingerprint of the certificate now served (`sha256:AB:…`).
    public var fingerprint: String {
        let leaf = current.withLock { $0.chain.first }
        return CollectorTLS.fingerprint(der: (try? leaf?.toDERBytes()) ?? [])
    }

    /// A server configuration whose every handshake asks this object for the chain and key.
    public func serverConfiguration() -> TLSConfiguration {
        let (chain, key) = current.withLock { ($0.chain, $0.key) }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                                     privateKey: .privateKey(key))
        // TLS 1.0 and 1.1 are deprecated (RFC 8996).
        configuration.minimumTLSVersion = .tlsv12
        configuration.sslContextCallback = { [weak self] _, promise in
            guard let self else { return promise.succeed(NIOSSLContextConfigurationOverride()) }
            let (chain, key) = self.current.withLock { ($0.chain, $0.key) }
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = chain.map { .certificate($0) }
            override.privateKey = .privateKey(key)
            promise.succeed(override)
        }
        return configuration
    }

    static func read(certFile: String, keyFile: String) throws -> (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certFile)
        } catch {
            throw CollectorError(.internalError, "tls.cert_file \(certFile): cannot read a PEM certificate", cause: error)
        }
        guard !chain.isEmpty else { throw CollectorError(.internalError, "tls.cert_file \(certFile): no certificate in it") }
        do {
            key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        } catch {
            throw CollectorError(.internalError, "tls.key_file \(keyFile): cannot read a PEM private key", cause: error)
        }
        // BoringSSL refuses a key that does not belong to the certificate when a context is made with both.
        do {
            _ = try NIOSSLContext(configuration: .makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                                          privateKey: .privateKey(key)))
        } catch {
            throw CollectorError(.internalError, "tls.key_file \(keyFile) does not match the certificate in \(certFile)",
                                 cause: error)
        }
        return (chain, key)
    }
}
