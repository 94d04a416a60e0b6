import APIClient
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

/// A request to the collector that did not give what was asked, with the API's error code when it sent one:
/// the one `HTTPResponseError` of the API's clients (APIClient).
public typealias NOCClientError = HTTPResponseError

/// The NOC's client of the collector API (/api/v1), decoding the shared SansangAPI bodies.
public struct NOCClient: Sendable {
    public let configuration: NOCClientConfiguration
    private let api: APIClient

    public init(configuration: NOCClientConfiguration, http: HTTPClient = .shared) {
        self.configuration = configuration
        api = APIClient(http: http, server: configuration.server, timeout: configuration.timeout)
    }

    public func readiness(groupBy: RollUpDimension?) async throws(NOCClientError) -> ReadinessBody {
        try await get(APIRoute.readiness.path(), query: ["group_by": groupBy?.rawValue])
    }

    public func sites(_ filter: SiteFilter, limit: Int, offset: Int) async throws(NOCClientError) -> SiteListBody {
        try await get(APIRoute.sites.path(), query: filter.queryParameters.merging([
            "limit": String(limit), "offset": String(offset),
        ]) { first, _ in first })
    }

    public func site(_ code: String) async throws(NOCClientError) -> SiteDetailBody {
        try await get(APIRoute.site.path(code))
    }

    public func history(_ code: String, from: Date, to: Date) async throws(NOCClientError) -> SiteHistoryBody {
        let format = ISO8601DateFormatter()
        return try await get(APIRoute.siteHistory.path(code), query: ["from": format.string(from: from), "to": format.string(from: to)])
    }

    public func alerts(state: String, language: String) async throws(NOCClientError) -> AlertListBody {
        try await get(APIRoute.alerts.path(), query: ["state": state, "lang": language])
    }

    public func silences(expired: Bool) async throws(NOCClientError) -> SilenceListBody {
        try await get(APIRoute.silences.path(), query: ["expired": expired ? "true" : nil])
    }

    public func addSilence(_ request: SilenceRequest) async throws(NOCClientError) -> Silence {
        let path = APIRoute.silences.path()
        let body = try APIClient.encode(request, what: "the silence")
        return try APIClient.decode(try await send(.POST, path, body: body), from: path)
    }

    public func expireSilence(_ id: String) async throws(NOCClientError) -> Silence {
        let path = APIRoute.silence.path(id)
        return try APIClient.decode(try await send(.DELETE, path), from: path)
    }

    /// The weekly readiness summary as the API renders it (`json`, `html` or `csv`), bytes as sent.
    public func weeklyReport(week: String?, format: String, language: String) async throws(NOCClientError) -> Data {
        try await send(.GET, APIRoute.weeklyReport.path(), query: ["week": week, "format": format, "lang": language], accept: "*/*")
    }

    private func get<Body: Decodable>(_ path: String, query: [String: String?] = [:]) async throws(NOCClientError) -> Body {
        try APIClient.decode(try await send(.GET, path, query: query), from: path)
    }

    /// One request with the NOC token; any 2xx answer's body, else the API's error.
    private func send(_ method: HTTPMethod, _ path: String, query: [String: String?] = [:], body: ByteBuffer? = nil,
                      accept: String = "application/json") async throws(NOCClientError) -> Data {
        try await api.send(method, path, query: query, token: configuration.token, body: body, accept: accept).successBody()
    }
}
