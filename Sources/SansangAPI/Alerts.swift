import Foundation

// The bodies of the alert and silence endpoints (docs/api.md).

/// Mutes the alerts it matches from `startsAt` until `endsAt` (or until expired early). Matchers are joined by
/// "and"; a silence has at least one.
public struct Silence: Sendable, Hashable, Codable {
    public var id: String
    /// A site code (the `site` label).
    public var site: String?
    /// A rule name (the `alertname` label).
    public var rule: String?
    /// Other labels that must all be equal.
    public var labels: [String: String]
    public var startsAt: Date
    public var endsAt: Date
    public var author: String
    public var comment: String
    public var createdAt: Date

    public init(id: String, site: String? = nil, rule: String? = nil, labels: [String: String] = [:], startsAt: Date,
                endsAt: Date, author: String, comment: String, createdAt: Date) {
        self.id = id
        self.site = site
        self.rule = rule
        self.labels = labels
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.author = author
        self.comment = comment
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, site, rule, labels, author, comment
        case startsAt = "starts_at"
        case endsAt = "ends_at"
        case createdAt = "created_at"
    }

    public var hasMatchers: Bool { site != nil || rule != nil || !labels.isEmpty }

    public func isActive(at now: Date) -> Bool { startsAt <= now && now < endsAt }

    public func matches(_ labels: [String: String]) -> Bool {
        guard hasMatchers else { return false }
        if let site, labels["site"] != site { return false }
        if let rule, labels["alertname"] != rule { return false }
        return self.labels.allSatisfy { labels[$0.key] == $0.value }
    }
}

/// `POST /api/v1/silences`: what to mute and until when. `starts_at` defaults to now, `author` to the token's user.
public struct SilenceRequest: Sendable, Hashable, Codable {
    public var site: String?
    public var rule: String?
    public var labels: [String: String]?
    public var startsAt: Date?
    public var endsAt: Date
    public var author: String?
    public var comment: String

    public init(site: String? = nil, rule: String? = nil, labels: [String: String]? = nil, startsAt: Date? = nil, endsAt: Date,
                author: String? = nil, comment: String) {
        self.site = site
        self.rule = rule
        self.labels = labels
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.author = author
        self.comment = comment
    }

    enum CodingKeys: String, CodingKey {
        case site, rule, labels, author, comment
        case startsAt = "starts_at"
        case endsAt = "ends_at"
    }
}

/// `GET /api/v1/silences`.
public struct SilenceListBody: Sendable, Hashable, Codable {
    public var items: [Silence]
    /// The collector's `office_time_zone` (IANA name): the clock a client shows the times in. Absent from
    /// collectors older than the field.
    public var officeTimeZone: String?

    public init(items: [Silence], officeTimeZone: String? = nil) {
        self.items = items
        self.officeTimeZone = officeTimeZone
    }

    enum CodingKeys: String, CodingKey {
        case items
        case officeTimeZone = "office_time_zone"
    }
}

/// One alert as `GET /api/v1/alerts` lists it.
public struct AlertBody: Sendable, Hashable, Codable {
    public var rule: String
    public var site: String
    public var siteName: String
    /// pending, firing or resolved.
    public var state: String
    public var severity: String
    /// Muted by a silence or a maintenance window.
    public var muted: Bool
    public var labels: [String: String]
    public var summary: String
    public var subjects: [String]
    public var value: Double?
    public var activeSince: Date
    public var firedAt: Date?
    public var resolvedAt: Date?

    public init(rule: String, site: String, siteName: String, state: String, severity: String, muted: Bool, labels: [String: String],
                summary: String, subjects: [String], value: Double?, activeSince: Date, firedAt: Date?, resolvedAt: Date?) {
        self.rule = rule
        self.site = site
        self.siteName = siteName
        self.state = state
        self.severity = severity
        self.muted = muted
        self.labels = labels
        self.summary = summary
        self.subjects = subjects
        self.value = value
        self.activeSince = activeSince
        self.firedAt = firedAt
        self.resolvedAt = resolvedAt
    }

    enum CodingKeys: String, CodingKey {
        case rule, site, state, severity, muted, labels, summary, subjects, value
        case siteName = "site_name"
        case activeSince = "active_since"
        case firedAt = "fired_at"
        case resolvedAt = "resolved_at"
    }
}

/// `GET /api/v1/alerts`.
public struct AlertListBody: Sendable, Hashable, Codable {
    public var generatedAt: Date
    public var items: [AlertBody]
    /// The collector's `office_time_zone` (IANA name): the clock a client shows the times in. Absent from
    /// collectors older than the field.
    public var officeTimeZone: String?

    public init(generatedAt: Date, items: [AlertBody], officeTimeZone: String? = nil) {
        self.generatedAt = generatedAt
        self.items = items
        self.officeTimeZone = officeTimeZone
    }

    enum CodingKeys: String, CodingKey {
        case items
        case generatedAt = "generated_at"
        case officeTimeZone = "office_time_zone"
    }
}

/// One entry of the notification log (`GET /api/v1/alerts/notifications`): a group sent, or queued.
public struct AlertNotificationBody: Sendable, Hashable, Codable {
    public var id: Int64
    public var receiver: String
    /// firing or resolved.
    public var state: String
    public var rules: [String]
    public var sites: [String]
    public var createdAt: Date
    public var dueAt: Date
    public var sentAt: Date?
    public var attempts: Int
    public var lastError: String?

    public init(id: Int64, receiver: String, state: String, rules: [String], sites: [String], createdAt: Date, dueAt: Date,
                sentAt: Date?, attempts: Int, lastError: String?) {
        self.id = id
        self.receiver = receiver
        self.state = state
        self.rules = rules
        self.sites = sites
        self.createdAt = createdAt
        self.dueAt = dueAt
        self.sentAt = sentAt
        self.attempts = attempts
        self.lastError = lastError
    }

    enum CodingKeys: String, CodingKey {
        case id, receiver, state, rules, sites, attempts
        case createdAt = "created_at"
        case dueAt = "due_at"
        case sentAt = "sent_at"
        case lastError = "last_error"
    }
}

/// `GET /api/v1/alerts/notifications`, newest first.
public struct AlertNotificationListBody: Sendable, Hashable, Codable {
    public var items: [AlertNotificationBody]

    public init(items: [AlertNotificationBody]) {
        self.items = items
    }
}
