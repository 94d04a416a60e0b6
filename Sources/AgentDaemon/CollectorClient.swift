import AsyncHTTPClient
import CompressNIO
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
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

    /// An HTTP exchange that failed: a stable code, a message, the cause.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var code: String
        public var message: String
        public var cause: String?
        public var description: String { cause.map { "\(message): \($0)" } ?? message }
    }

    let http: HTTPClient
    let base: URL
    let tokenFile: String
    let timeout: TimeAmount
    /// With `pinned_public_keys`: the requests go over this transport, which checks the collector's key.
    let pinned: PinnedCollectorTransport?

    /// `onKeyRotation` hears of a collector key that is not pinned but was accepted because the pinned CA signed it.
    public init(http: HTTPClient, configuration: AgentConfiguration.Collector,
                onKeyRotation: @escaping @Sendable (String) -> Void = { _ in }) throws {
        self.http = http
        base = configuration.url
        tokenFile = configuration.tokenFile
        timeout = .nanoseconds(configuration.timeout.inNanoseconds)
        if configuration.pinnedPublicKeys.isEmpty {
            pinned = nil
        } else {
            let context: NIOSSLContext
            do {
                context = try NIOSSLContext(configuration: Self.tlsConfiguration(configuration) ?? .makeClientConfiguration())
            } catch {
                throw Failure(code: "tls", message: "cannot set up TLS for the collector", cause: String(describing: error))
            }
            pinned = PinnedCollectorTransport(
                host: configuration.url.host ?? "", port: configuration.url.port ?? 443, context: context,
                pins: Set(configuration.pinnedPublicKeys), acceptRotationByPinnedCA: configuration.pinnedCAFile != nil,
                onRotation: onKeyRotation)
        }
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

    private func request(_ path: String) throws -> HTTPClientRequest {
        var request = HTTPClientRequest(url: base.appendingPathComponent(path).absoluteString)
        request.headers.add(name: "Authorization", value: "Bearer \(try Self.readToken(tokenFile))")
        request.headers.add(name: "User-Agent", value: "sansang-agent/\(SansangVersion.current)")
        return request
    }

    /// One exchange over the pinned transport or AsyncHTTPClient: status, headers, body (at most `limit` bytes).
    private func exchange(_ request: HTTPClientRequest, body: ByteBuffer?, limit: Int) async throws
        -> (status: UInt, headers: HTTPHeaders, body: ByteBuffer) {
        guard let pinned else {
            var request = request
            if let body { request.body = .bytes(body) }
            let response = try await http.execute(request, timeout: timeout)
            return (response.status.code, response.headers, try await response.body.collect(upTo: limit))
        }
        var headers = request.headers
        let path = URL(string: request.url).map { $0.path + ($0.query.map { "?" + $0 } ?? "") } ?? "/"
        headers.replaceOrAdd(name: "Host", value: base.port.map { "\(pinned.host):\($0)" } ?? pinned.host)
        headers.replaceOrAdd(name: "Connection", value: "close")
        if let body { headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes)) }
        let head = HTTPRequestHead(version: .http1_1, method: request.method, uri: path, headers: headers)
        let response = try await pinned.send(head, body: body, timeout: timeout, maxBodyBytes: limit)
        return (UInt(response.status), response.headers, response.body)
    }

    public func fetchPlan(etag: String?) async throws -> PlanAnswer {
        var request = try request("api/v1/plan")
        if let etag { request.headers.add(name: "If-None-Match", value: etag) }
        let response = try await exchange(request, body: nil, limit: 4 << 20)
        let body = response.body
        switch response.status {
        case 304:
            return .notModified
        case 200:
            do {
                let plan = try ReportCoding.decoder().decode(AgentPlan.self, from: Data(buffer: body))
                return .plan(plan, etag: response.headers.first(name: "ETag"))
            } catch {
                throw Failure(code: "bad_plan", message: "the collector's plan cannot be read", cause: String(describing: error))
            }
        default:
            let error = try? JSONDecoder().decode(APIErrorBody.self, from: Data(buffer: body))
            throw Failure(code: "plan_http_\(response.status)", message: "GET /api/v1/plan answered HTTP \(response.status)",
                          cause: error.map { "\($0.error.code): \($0.error.message)" })
        }
    }

    /// Posts a batch, gzip-compressed; returns the status and body, or throws when there was no answer.
    public func post(_ batch: ReportBatch) async throws -> (status: Int, body: Data) {
        var request = try request("api/v1/reports")
        request.method = .POST
        var json = ByteBuffer(data: try ReportCoding.encoder().encode(batch))
        let compressed = try json.compress(with: .gzip())
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Content-Encoding", value: "gzip")
        let response = try await exchange(request, body: compressed, limit: 1 << 20)
        return (Int(response.status), Data(buffer: response.body))
    }
}
