import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import ReadinessModel
import SansangAPI

/// Where the NOC's collector is and who is asking.
public struct NOCClientConfiguration: Sendable {
    /// Base URL of the collector, e.g. `http://127.0.0.1:8470`.
    public var server: String
    /// A NOC token (read or admin role).
    public var token: String
    public var timeout: Duration

    public init(server: String = "http://127.0.0.1:8470", token: String = "", timeout: Duration = .seconds(10)) {
        self.server = server
        self.token = token
        self.timeout = timeout
    }
}

/// A request to the collector that did not give what was asked, with the API's error code when it sent one.
public struct NOCClientError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case unreachable
        case http
        case badResponse = "bad_response"
    }

    public let code: Code
    public let message: String
    /// The HTTP status and the API error code, when the collector answered.
    public let status: Int?
    public let apiCode: String?

    public var description: String { message }
}

/// The NOC's client of the collector API (/api/v1), decoding the shared SansangAPI bodies.
public struct NOCClient: Sendable {
    public let configuration: NOCClientConfiguration
    private let http: HTTPClient

    public init(configuration: NOCClientConfiguration, http: HTTPClient = .shared) {
        self.configuration = configuration
        self.http = http
    }

    public func readiness(groupBy: RollUpDimension?) async throws(NOCClientError) -> ReadinessBody {
        try await get("/api/v1/readiness", query: ["group_by": groupBy?.rawValue])
    }

    public func sites(_ filter: SiteFilter, limit: Int, offset: Int) async throws(NOCClientError) -> SiteListBody {
        try await get("/api/v1/sites", query: filter.queryParameters.merging([
            "limit": String(limit), "offset": String(offset),
        ]) { first, _ in first })
    }

    public func site(_ code: String) async throws(NOCClientError) -> SiteDetailBody {
        try await get("/api/v1/sites/\(Self.escape(code))", query: [:])
    }

    public func history(_ code: String, from: Date, to: Date) async throws(NOCClientError) -> SiteHistoryBody {
        let format = ISO8601DateFormatter()
        return try await get("/api/v1/sites/\(Self.escape(code))/history",
                             query: ["from": format.string(from: from), "to": format.string(from: to)])
    }

    public func alerts(state: String, language: String) async throws(NOCClientError) -> AlertListBody {
        try await get("/api/v1/alerts", query: ["state": state, "lang": language])
    }

    public func silences(expired: Bool) async throws(NOCClientError) -> SilenceListBody {
        try await get("/api/v1/silences", query: ["expired": expired ? "true" : nil])
    }

    public func addSilence(_ request: SilenceRequest) async throws(NOCClientError) -> Silence {
        let body: Data
        do {
            body = try ReportCoding.encoder().encode(request)
        } catch {
            throw NOCClientError(code: .badResponse, message: "cannot encode the silence: \(error)", status: nil, apiCode: nil)
        }
        return try decode(try await exchange(.POST, "/api/v1/silences", query: [:], body: body), from: "/api/v1/silences")
    }

    public func expireSilence(_ id: String) async throws(NOCClientError) -> Silence {
        let path = "/api/v1/silences/\(Self.escape(id))"
        return try decode(try await exchange(.DELETE, path, query: [:]), from: path)
    }

    /// The weekly readiness summary as the API renders it (`json`, `html` or `csv`), bytes as sent.
    public func weeklyReport(week: String?, format: String, language: String) async throws(NOCClientError) -> Data {
        try await exchange(.GET, "/api/v1/reports/weekly", query: ["week": week, "format": format, "lang": language], accept: "*/*")
    }

    private func get<Body: Decodable>(_ path: String, query: [String: String?]) async throws(NOCClientError) -> Body {
        try decode(try await exchange(.GET, path, query: query), from: path)
    }

    private func decode<Body: Decodable>(_ data: Data, from path: String) throws(NOCClientError) -> Body {
        do {
            return try ReportCoding.decoder().decode(Body.self, from: data)
        } catch {
            throw NOCClientError(code: .badResponse, message: "unexpected answer from \(path): \(error)", status: nil, apiCode: nil)
        }
    }

    /// One request; any 2xx answer's body, else the API's error.
    private func exchange(_ method: HTTPMethod, _ path: String, query: [String: String?], body: Data? = nil,
                          accept: String = "application/json") async throws(NOCClientError) -> Data {
        var components = URLComponents(string: configuration.server.trimmingSuffix("/") + path)
        let items = query.compactMap { key, value in value.map { URLQueryItem(name: key, value: $0) } }
        if !items.isEmpty { components?.queryItems = items.sorted { $0.name < $1.name } }
        guard let url = components?.string else {
            throw NOCClientError(code: .unreachable, message: "bad server URL \(configuration.server)", status: nil, apiCode: nil)
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(configuration.token)")
        request.headers.add(name: "Accept", value: accept)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        let answer: ByteBuffer
        do {
            response = try await http.execute(request, timeout: .init(configuration.timeout))
            answer = try await response.body.collect(upTo: 64 << 20)
        } catch {
            throw NOCClientError(code: .unreachable, message: "cannot reach \(configuration.server): \(error)", status: nil, apiCode: nil)
        }
        let data = Data(answer.readableBytesView)
        guard (200..<300).contains(response.status.code) else {
            let api = try? ReportCoding.decoder().decode(APIErrorBody.self, from: data)
            throw NOCClientError(
                code: .http, message: "\(response.status.code) \(api?.error.message ?? response.status.reasonPhrase)",
                status: Int(response.status.code), apiCode: api?.error.code)
        }
        return data
    }

    private static func escape(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? segment
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}

extension TimeAmount {
    fileprivate init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
