import Alerting
import CollectorCore
import Foundation
import SansangAPI
import YAMLConfig

extension AlertEngine {
    /// Validates and stores a silence: at least one matcher, a known site and rule, an end after its start and
    /// after now, a comment. The author is the token's user: a request naming someone else is refused.
    public func addSilence(_ request: SilenceRequest, user: String, now: Date = Date()) async throws(CollectorError) -> Silence {
        let startsAt = request.startsAt ?? now
        let labels = request.labels ?? [:]
        guard request.site != nil || request.rule != nil || !labels.isEmpty else {
            throw CollectorError(.badParameter, "a silence needs site, rule or labels: it would mute nothing")
        }
        if let site = request.site, collector.inventory.site(code: site) == nil {
            throw CollectorError(.badParameter, "no site \(site) in the inventory")
        }
        let rules = configuration.rules.map(\.name)
        if let rule = request.rule, !rules.contains(rule) {
            throw CollectorError(.badParameter, "no alert rule named \(rule)" + suggestion(for: rule, among: rules))
        }
        guard request.endsAt > startsAt, request.endsAt > now else {
            throw CollectorError(.badParameter, "ends_at must be after starts_at and in the future")
        }
        guard !request.comment.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw CollectorError(.badParameter, "a silence needs a comment saying why")
        }
        if let author = request.author, author != user {
            throw CollectorError(.badParameter, "author is the token's user (\(user)), not \(author): leave author out")
        }
        let id = (0..<6).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let silence = Silence(id: id, site: request.site, rule: request.rule, labels: labels, startsAt: startsAt,
                              endsAt: request.endsAt, author: user, comment: request.comment, createdAt: now)
        try await collector.storage("storing the silence") { try await collector.store.insertSilence(silence) }
        return silence
    }

    /// Silences not yet ended (or every one ended within `history` before now).
    public func silences(now: Date = Date(), history: TimeInterval = 0) async throws(CollectorError) -> [Silence] {
        try await collector.storage("reading silences") {
            try await collector.store.silences(endingAfter: now.addingTimeInterval(-history))
        }
    }

    /// Ends a silence now.
    public func expireSilence(id: String, now: Date = Date()) async throws(CollectorError) -> Silence {
        let found = try await collector.storage("expiring the silence") { try await collector.store.expireSilence(id: id, at: now) }
        guard found, let silence = try await silences(now: now, history: 366 * 86400).first(where: { $0.id == id }) else {
            throw CollectorError(.notFound, "no silence \(id)")
        }
        return silence
    }
}
