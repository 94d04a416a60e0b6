import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import ReadinessModel
import SansangAPI
import SystemSupport

/// A request to the collector's API that did not give what was asked: no answer, an error answer (with the API's
/// error code from its `{"error": {code, message}}` body when it sent one), or an answer that cannot be read.
/// The one error of every client of the API: the NOC's (`sansang`) and the agent's (plan, reports, enrolment).
public struct HTTPResponseError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// No answer: connection refused, timeout, TLS failure, bad URL (`underlying` says which).
        case unreachable
        /// An answer with a status the caller does not accept.
        case http
        /// An answer whose body cannot be decoded, or a request that cannot be encoded.
        case badResponse = "bad_response"
    }

    public let code: Code
    public let message: String
    /// The HTTP status and the API error code, when the collector answered.
    public let status: Int?
    public let apiCode: String?
    /// The API's own message, when the answer had an error body.
    public let apiMessage: String?
    /// What the HTTP client threw, when there was no answer (e.g. an `NIOSSLError` for an untrusted certificate).
    public let underlying: (any Error)?

    public init(code: Code, message: String, status: Int? = nil, apiCode: String? = nil, apiMessage: String? = nil,
                underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.status = status
        self.apiCode = apiCode
        self.apiMessage = apiMessage
        self.underlying = underlying
    }

    public var description: String { message }

    /// The error for a non-accepted answer: "404 site 99999 is not in the inventory" (the API's message when the
    /// body is an `APIErrorBody`, else the status's reason phrase); with `request`, "GET /api/v1/plan answered
    /// HTTP 401 token_revoked: …" (the API's code too, for logs).
    public static func answer(status: Int, reasonPhrase: String, body: Data, request: String? = nil) -> HTTPResponseError {
        let api = APIErrorBody.decode(body)
        let message = "\(status) \(api?.error.message ?? reasonPhrase)"
        // In a log line the code matters: "GET /api/v1/plan answered HTTP 401 token_revoked: …".
        let logged = "\(status) \(api.map { "\($0.error.code): \($0.error.message)" } ?? reasonPhrase)"
        return HTTPResponseError(code: .http, message: request.map { "\($0) answered HTTP \(logged)" } ?? message,
                                 status: status, apiCode: api?.error.code, apiMessage: api?.error.message)
    }
}

/// How a request reaches the collector when it must not go through AsyncHTTPClient (the agent's key-pinned transport,
/// which checks the collector's public key on the connection itself). `request` carries method, URL and headers;
/// the body comes apart.
public protocol APITransport: Sendable {
    func execute(_ request: HTTPClientRequest, body: ByteBuffer?, timeout: Duration, limit: Int) async throws -> APIClient.Response
}

/// The one HTTP client wrapper of the collector's API: URL building from a base and an `APIRoute` path, the bearer
/// token, JSON bodies, a size limit on answers, and errors as `HTTPResponseError`.
public struct APIClient: Sendable {
    /// One answer, whatever its status.
    public struct Response: Sendable {
        public var status: Int
        public var reasonPhrase: String
        public var headers: HTTPHeaders
        public var body: Data

        public init(status: Int, reasonPhrase: String, headers: HTTPHeaders, body: Data) {
            self.status = status
            self.reasonPhrase = reasonPhrase
            self.headers = headers
            self.body = body
        }

        /// The body of a 2xx answer, else the answer as an error.
        public func successBody() throws(HTTPResponseError) -> Data {
            guard (200..<300).contains(status) else {
                throw HTTPResponseError.answer(status: status, reasonPhrase: reasonPhrase, body: body)
            }
            return body
        }
    }

    public let http: HTTPClient
    /// The collector's base URL, e.g. `https://collector.tinh.example:8470` (a path prefix is kept).
    public let server: String
    public let timeout: Duration
    public let userAgent: String?
    /// nil: AsyncHTTPClient (`http`).
    public let transport: (any APITransport)?

    public init(http: HTTPClient, server: String, timeout: Duration, userAgent: String? = nil,
                transport: (any APITransport)? = nil) {
        self.http = http
        self.server = server
        self.timeout = timeout
        self.userAgent = userAgent
        self.transport = transport
    }

    /// One request. `query` entries with a nil value are left out; `token` goes as `Authorization: Bearer`.
    public func send(_ method: HTTPMethod, _ path: String, query: [String: String?] = [:], token: String? = nil,
                     headers: [(String, String)] = [], body: ByteBuffer? = nil, contentType: String = "application/json",
                     accept: String = "application/json", limit: Int = 64 << 20) async throws(HTTPResponseError) -> Response {
        let base = server.hasSuffix("/") ? String(server.dropLast()) : server
        var components = URLComponents(string: base + path)
        let items = query.compactMap { key, value in value.map { URLQueryItem(name: key, value: $0) } }
        if !items.isEmpty { components?.queryItems = items.sorted { $0.name < $1.name } }
        guard let url = components?.string else {
            throw HTTPResponseError(code: .unreachable, message: "bad server URL \(server)")
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let userAgent { request.headers.add(name: "User-Agent", value: userAgent) }
        request.headers.add(name: "Accept", value: accept)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if body != nil { request.headers.add(name: "Content-Type", value: contentType) }
        do {
            if let transport { return try await transport.execute(request, body: body, timeout: timeout, limit: limit) }
            if let body { request.body = .bytes(body) }
            let response = try await http.execute(request, timeout: .nanoseconds(timeout.inNanoseconds))
            let answer = try await response.body.collect(upTo: limit)
            return Response(status: Int(response.status.code), reasonPhrase: response.status.reasonPhrase,
                            headers: response.headers, body: Data(answer.readableBytesView))
        } catch {
            throw HTTPResponseError(code: .unreachable, message: "cannot reach \(server): \(error)", underlying: error)
        }
    }

    /// A 2xx answer's body decoded as `Body`.
    public func get<Body: Decodable>(_ path: String, query: [String: String?] = [:], token: String? = nil)
        async throws(HTTPResponseError) -> Body {
        try Self.decode(try await send(.GET, path, query: query, token: token).successBody(), from: path)
    }

    /// `value` as the API's JSON.
    public static func encode(_ value: some Encodable, what: String) throws(HTTPResponseError) -> ByteBuffer {
        do {
            return ByteBuffer(bytes: try ReportCoding.encoder().encode(value))
        } catch {
            throw HTTPResponseError(code: .badResponse, message: "cannot encode \(what): \(error)", underlying: error)
        }
    }

    /// An answer's body as `Body`, in the API's JSON conventions.
    public static func decode<Body: Decodable>(_ data: Data, from path: String) throws(HTTPResponseError) -> Body {
        do {
            return try ReportCoding.decoder().decode(Body.self, from: data)
        } catch {
            throw HTTPResponseError(code: .badResponse, message: "unexpected answer from \(path): \(error)", underlying: error)
        }
    }
}
