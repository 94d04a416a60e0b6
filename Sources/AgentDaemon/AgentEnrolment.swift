import APIClient
import AsyncHTTPClient
import CertificateTools
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOPosix
import NIOSSL
import ReadinessModel
import SansangAPI
import Synchronization

/// The agent's side of enrolment: checks the collector's certificate (against the fingerprint read over the
/// phone, or the system's CAs), then exchanges the one-time code for the site token (`POST /api/v1/enroll`).
/// Writes nothing: the command writes the files once everything has succeeded.
public enum AgentEnrolment {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public enum Kind: Sendable, Equatable {
            /// http:// to a host that is not on loopback.
            case insecureURL
            case badFingerprint
            case fingerprintMismatch(expected: String, presented: String)
            /// The certificate does not verify against the system's CAs (no --fingerprint given) or the host name.
            case untrusted
            case unreachable
            /// The collector refused: an API error code (`enrolment_code_used`, `site_mismatch`, …).
            case refused(code: String)
            case badAnswer
        }

        public var kind: Kind
        public var detail: String
        public init(_ kind: Kind, _ detail: String) {
            self.kind = kind
            self.detail = detail
        }
        public var description: String { "\(kind): \(detail)" }
    }

    public struct Outcome: Sendable {
        public var response: EnrolmentResponse
        /// The fingerprint of the certificate the collector presented, when it was checked against one.
        public var fingerprint: String?
        /// The SHA-256 fingerprint of the presented certificate's public key (SubjectPublicKeyInfo), which the agent
        /// pins (`collector.pinned_public_keys`); nil over http:// to loopback.
        public var publicKey: String?
    }

    public static func enroll(collector url: URL, site: String, code: String, fingerprint typed: String?,
                              timeout: TimeAmount = .seconds(20)) async throws(Failure) -> Outcome {
        guard let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), let host = url.host, !host.isEmpty else {
            throw Failure(.insecureURL, "\(url) is not an https:// URL")
        }
        if scheme == "http", !AgentConfiguration.Collector.isLoopback(host) {
            throw Failure(.insecureURL, "\(url) is plain http://")
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        var checked: String?
        var publicKey: String?
        if let typed, scheme == "https" {
            guard let expected = CollectorTLS.normalizedFingerprint(typed) else {
                throw Failure(.badFingerprint, "\(typed) is not a SHA-256 fingerprint")
            }
            let chain = try await presentedChain(host: host, port: url.port ?? 443, timeout: timeout)
            let presented = CollectorTLS.fingerprint(der: chain.first ?? [])
            guard presented == expected else {
                throw Failure(.fingerprintMismatch(expected: expected, presented: presented), "the collector presented \(presented)")
            }
            checked = presented
            publicKey = try? CollectorTLS.publicKeyFingerprint(der: chain.first ?? [])
            // The certificate is the one read over the phone: trust the root it came with (a private CA or the
            // self-signed certificate itself); a chain up to a public CA is verified against the system's CAs.
            if let root = chain.last, CollectorTLS.isSelfSigned(der: root),
               let certificate = try? NIOSSLCertificate(bytes: root, format: .der) {
                tls.trustRoots = .certificates([certificate])
            }
        }
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = tls
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let answer: Result<EnrolmentResponse, Failure>
        do {
            answer = .success(try await exchange(http, url: url, site: site, code: code, timeout: timeout))
        } catch {
            answer = .failure(error)
        }
        try? await http.shutdown()
        let response = try answer.get()
        if scheme == "https", publicKey == nil {
            // Verified against the system's CAs by the exchange itself; the key it presented, to pin from now on.
            let chain = try await presentedChain(host: host, port: url.port ?? 443, timeout: timeout)
            publicKey = try? CollectorTLS.publicKeyFingerprint(der: chain.first ?? [])
        }
        return Outcome(response: response, fingerprint: checked, publicKey: publicKey)
    }

    static func exchange(_ http: HTTPClient, url: URL, site: String, code: String, timeout: TimeAmount) async throws(Failure)
        -> EnrolmentResponse {
        let api = APIClient(http: http, server: url.absoluteString, timeout: .nanoseconds(timeout.nanoseconds),
                            userAgent: "sansang-agent/\(SansangVersion.current)")
        let path = APIRoute.enroll.path()
        let response: APIClient.Response
        do {
            let body = try APIClient.encode(EnrolmentRequest(site: site, code: code), what: "the enrolment request")
            response = try await api.send(.POST, path, body: body, limit: 1 << 20)
        } catch {
            let cause = error.underlying ?? error
            if cause is NIOSSLError || cause is BoringSSLError || "\(cause)".contains("certificate") || "\(cause)".contains("handshake") {
                throw Failure(.untrusted, String(describing: cause))
            }
            throw Failure(.unreachable, String(describing: cause))
        }
        guard response.status == 200 else {
            let answer = HTTPResponseError.answer(status: response.status, reasonPhrase: response.reasonPhrase, body: response.body)
            throw Failure(.refused(code: answer.apiCode ?? "http_\(response.status)"), answer.apiMessage ?? "HTTP \(response.status)")
        }
        do {
            let answer: EnrolmentResponse = try APIClient.decode(response.body, from: path)
            guard answer.site == site, !answer.token.isEmpty else { throw Failure(.badAnswer, "the answer is for another site") }
            return answer
        } catch let error as Failure {
            throw error
        } catch {
            throw Failure(.badAnswer, String(describing: error))
        }
    }

    /// The certificates (DER, leaf first) the TLS server at host:port presents; nothing is sent over the connection.
    static func presentedChain(host: String, port: Int, timeout: TimeAmount) async throws(Failure) -> [[UInt8]] {
        var tls = TLSConfiguration.makeClientConfiguration()
        // Verification is this callback's: it only records what was presented.
        tls.certificateVerification = .noHostnameVerification
        let group = MultiThreadedEventLoopGroup.singleton
        let result = group.any().makePromise(of: [[UInt8]].self)
        let done = Once()
        @Sendable func finish(_ value: Result<[[UInt8]], any Error>) {
            guard done.first() else { return }
            result.completeWith(value)
        }
        do {
            let context = try NIOSSLContext(configuration: tls)
            let serverName = CollectorTLS.isIPAddress(host) ? nil : host
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let handler = try NIOSSLClientHandler(context: context, serverHostname: serverName, customVerificationCallback: { certificates, promise in
                            finish(.success(certificates.map { (try? $0.toDERBytes()) ?? [] }))
                            promise.succeed(.certificateVerified)
                        })
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                }
                .connect(host: host, port: port).get()
            channel.closeFuture.whenComplete { _ in finish(.failure(Failure(.unreachable, "the TLS handshake did not complete"))) }
            channel.eventLoop.scheduleTask(in: timeout) { finish(.failure(Failure(.unreachable, "no TLS handshake within \(timeout)"))) }
            defer { channel.close(promise: nil) }
            return try await result.futureResult.get()
        } catch let error as Failure {
            throw error
        } catch {
            finish(.failure(error))
            throw Failure(.unreachable, String(describing: error))
        }
    }
}

/// True for the first caller only.
private final class Once: Sendable {
    private let taken = Mutex(false)
    func first() -> Bool { taken.withLock { value in defer { value = true }; return !value } }
}
