import CollectorAlerts
import CollectorCore
import Foundation
import Hummingbird
import Presentation
import ReadinessModel
import SansangAPI

/// /api/v1/alerts and /api/v1/silences (NOC tokens; changes need the admin role).
struct AlertHandlers: Sendable {
    let engine: AlertEngine
    let api: APIHandlers
    static let silenceKeys: Set<String> = ["site", "rule", "labels", "starts_at", "ends_at", "author", "comment"]

    @Sendable func alerts(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        try await api.authenticate(request, context).requireNOC()
        let query = api.formQuery(request)
        let language = try api.language(query["lang"])
        let states: Set<String>
        switch query["state"] ?? "active" {
        case "active": states = ["pending", "firing"]
        case "all": states = ["pending", "firing", "resolved"]
        case let state where ["pending", "firing", "resolved"].contains(state): states = [state]
        case let other: throw CollectorError(.badParameter, "state must be active, all, pending, firing or resolved, not \(other)")
        }
        let items = try await engine.collector.storage("reading alerts") { try await engine.alerts(language: language) }.filter { states.contains($0.state) }
        return try json(AlertListBody(generatedAt: Date(), items: items, officeTimeZone: engine.timeZone.identifier), status: .ok)
    }

    @Sendable func notifications(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        try await api.authenticate(request, context).requireNOC()
        let limit = try api.integer(api.formQuery(request)["limit"], name: "limit", default: 50, in: 1...1000)
        let log = try await engine.collector.storage("reading the notification log") { try await engine.collector.store.alertNotificationLog(limit: limit) }
        return try json(AlertNotificationListBody(items: log.map {
            AlertNotificationBody(id: $0.id, receiver: $0.group.receiver, state: $0.group.state.rawValue,
                                  rules: Array(Set($0.group.notices.map(\.rule))).sorted(),
                                  sites: $0.group.notices.map(\.site).sorted(), createdAt: $0.createdAt, dueAt: $0.dueAt,
                                  sentAt: $0.sentAt, attempts: $0.attempts, lastError: $0.lastError)
        }), status: .ok)
    }

    @Sendable func silences(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        try await api.authenticate(request, context).requireNOC()
        let history: Double
        switch api.formQuery(request)["expired"] {
        case nil, "false": history = 0
        case "true": history = 30 * 86400
        case let other?: throw CollectorError(.badParameter, "expired must be true or false, not \(other)")
        }
        return try json(SilenceListBody(items: try await engine.silences(history: history),
                                        officeTimeZone: engine.timeZone.identifier), status: .ok)
    }

    @Sendable func addSilence(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        let user = try await api.authenticate(request, context).requireAdmin()
        try api.requireJSON(request)
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024)
        let data = Data(body.readableBytesView)
        guard let tree = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            throw CollectorError(.malformedJSON, "the body is not JSON")
        }
        let silenceRequest: SilenceRequest
        do {
            silenceRequest = try ReportCoding.decoder().decode(SilenceRequest.self, from: data)
        } catch {
            throw CollectorError(.badParameter, "the body is not a silence: \(BatchDecoding.describe(error))")
        }
        // A key this collector does not know ("sites" for "site") would silently mute more than meant: refused, as
        // openapi.yaml says (a report, sent by agents of any version, ignores unknown keys instead).
        if let object = tree as? [String: Any],
           let unknown = object.keys.sorted().first(where: { !Self.silenceKeys.contains($0) }) {
            throw CollectorError(.badParameter, "unknown key \(unknown) in the silence; known: \(Self.silenceKeys.sorted().joined(separator: ", "))")
        }
        return try json(try await engine.addSilence(silenceRequest, user: user), status: .created)
    }

    @Sendable func expireSilence(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        _ = try await api.authenticate(request, context).requireAdmin()
        return try json(try await engine.expireSilence(id: try context.parameters.require("id")), status: .ok)
    }
}
