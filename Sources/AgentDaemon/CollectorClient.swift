import APIClient
import AsyncHTTPClient
import CompressNIO
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOSSL
import ReadinessModel
import SansangAPI
import YAMLConfig
import SystemSupport

/// The agent's side of the collector's HTTP API: `GET /api/v1/plan` and `POST /api/v1/reports`.
public struct CollectorClient: Sendable {
    public enum PlanAnswer: Sendable {
        case notModified
        case plan(AgentPlan, etag: String?)
    }

    /// A local problem before any exchange (the token file, a CA file): a stable code, a message, the cause.
    /// What goes wrong in the exchange itself is an `HTTPResponseError`.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var code: String
        public var message: String
        public var cause: String?
        public var description: String { cause.map { "\(message): \($0)" } ?? message }
    }

    let api: APIClient
    let tokenFile: String

    /// With `pinned_public_keys` the requests go over `PinnedCollectorTransport`, which checks the collector's key on
    /// the connection itself. `onKeyRotation` hears of a collector key that is not pinned but was accepted because the
    /// pinned CA signed it.
    public init(http: HTTPClient, configuration: AgentConfiguration.Collector,
                onKeyRotation: @escaping @Sendable (String) -> Void = { _ in }) throws {
        var transport: (any APITransport)?
        if !configuration.pinnedPublicKeys.isEmpty {
            let context: NIOSSLContext
            do {
                context = try NIOSSLContext(configuration: Self.tlsConfiguration(configuration) ?? .makeClientConfiguration())
            } catch let failure as Failure {
                throw failure
            } catch {
                throw Failure(code: "tls", message: "cannot set up TLS for the collector", cause: String(describing: error))
            }
            transport = PinnedCollectorTransport(
                host: configuration.url.host ?? "", port: configuration.url.port ?? 443, context: context,
                pins: Set(configuration.pinnedPublicKeys), acceptRotationByPinnedCA: configuration.pinnedCAFile != nil,
                onRotation: onKeyRotation)
        }
        api = APIClient(http: http, server: configuration.url.absoluteString, timeout: configuration.timeout,
                        userAgent: "sansang-agent/\(SansangVersion.current)", transport: transport)
        tokenFile = configuration.tokenFile
    }

    /// An HTTP client for the collector: only the pinned CA when `pinnedCAFile` is set, else the system's CAs plus
    /// `caFile` when configured. Host names are verified either way.
    public static func makeHTTPClient(_ configuration: AgentConfiguration.Collector) throws -> HTTPClient {
        var client = HTTPClient.Configuration()
        client.tlsConfiguration = try tlsConfiguration(configuration)
        client.decompression = .enabled(limit: .size(16 << 20))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: client)
    }

    /// The trust for the collector's certificate: only the pinned CA, or the system's CAs plus `ca_file`; nil for
    /// the system's CAs alone.
    static func tlsConfiguration(_ configuration: AgentConfiguration.Collector) throws -> TLSConfiguration? {
        func certificates(_ file: String, key: String) throws -> [NIOSSLCertificate] {
            do {
                return try NIOSSLCertificate.fromPEMFile(file)
            } catch {
                throw Failure(code: key, message: "cannot read the CA file \(file)", cause: String(describing: error))
            }
        }
        if let pinned = configuration.pinnedCAFile {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try certificates(pinned, key: "pinned_ca_file"))
            return tls
        } else if let caFile = configuration.caFile {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.additionalTrustRoots = [.certificates(try certificates(caFile, key: "ca_file"))]
            return tls
        }
        return nil
    }

    /// The site token, read at each request so that a replaced token file is picked up without a restart.
    /// A token file other users can read is refused.
    public static func readToken(_ file: String) throws(Failure) -> String {
        let text: String
        do {
            text = try SecretFile.read(file)
        } catch {
            throw Failure(code: "token_file", message: "cannot use the token file", cause: error.description)
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty, !token.contains(where: \.isNewline) else {
            throw Failure(code: "token_file", message: "the token file \(file) does not hold one token")
        }
        return token
    }

    /// The plan, unless the collector's is still `etag` (304). An answer other than 200 or 304 is an `HTTPResponseError`
    /// with the API's error code.
    public func fetchPlan(etag: String?) async throws -> PlanAnswer {
        let path = APIRoute.plan.path()
        let response = try await api.send(.GET, path, token: try Self.readToken(tokenFile),
                                          headers: etag.map { [("If-None-Match", $0)] } ?? [], limit: 4 << 20)
        if response.status == 304 { return .notModified }
        guard response.status == 200 else {
            throw HTTPResponseError.answer(status: response.status, reasonPhrase: response.reasonPhrase, body: response.body,
                                           request: "GET \(path)")
        }
        let plan: AgentPlan = try APIClient.decode(response.body, from: path)
        return .plan(plan, etag: response.headers.first(name: "ETag"))
    }

    /// Posts a batch, gzip-compressed; returns the status and body (`BatchDisposition` reads them), or throws when
    /// there was no answer.
    public func post(_ batch: ReportBatch) async throws -> (status: Int, body: Data) {
        var json = ByteBuffer(data: try ReportCoding.encoder().encode(batch))
        let compressed = try json.compress(with: .gzip())
        let response = try await api.send(.POST, APIRoute.reports.path(), token: try Self.readToken(tokenFile),
                                          headers: [("Content-Encoding", "gzip")], body: compressed, limit: 1 << 20)
        return (response.status, response.body)
    }
}
