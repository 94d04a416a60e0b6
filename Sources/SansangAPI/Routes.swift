import Foundation

/// A route of the collector's HTTP API (docs/api.md), defined once: the collector registers `pattern`
/// ("/api/v1/sites/:code"), the NOC client and the agent request `path(...)` ("/api/v1/sites/20242").
public struct APIRoute: Sendable, Hashable, CustomStringConvertible {
    /// Segments starting with ':' are parameters, filled in order by `path(_:)`.
    public let pattern: String

    public init(_ pattern: String) {
        self.pattern = pattern
    }

    public var description: String { pattern }

    /// The path with each parameter replaced, in order, by a value percent-escaped as one segment
    /// (a '/' in a value cannot reach another route). Missing values leave the parameter as it is.
    public func path(_ values: String...) -> String {
        var remaining = values[...]
        return pattern.split(separator: "/", omittingEmptySubsequences: false).map { segment -> String in
            guard segment.hasPrefix(":"), let value = remaining.popFirst() else { return String(segment) }
            return Self.escape(value)
        }.joined(separator: "/")
    }

    static func escape(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? segment
    }
}

extension APIRoute {
    /// `POST`: a batch of reports from an agent (site token).
    public static let reports = APIRoute("/api/v1/reports")
    /// `POST`: a one-time enrolment code exchanged for the site token.
    public static let enroll = APIRoute("/api/v1/enroll")
    /// `GET`: the agent's check plan (site token; ETag / If-None-Match).
    public static let plan = APIRoute("/api/v1/plan")
    /// `GET`: the roll-up (`group_by`).
    public static let readiness = APIRoute("/api/v1/readiness")
    /// `GET`: sites matching a `SiteFilter`, paged.
    public static let sites = APIRoute("/api/v1/sites")
    /// `GET`: one site with its verdict and latest report.
    public static let site = APIRoute("/api/v1/sites/:code")
    /// `GET`: one site's verdict history (`from`, `to`).
    public static let siteHistory = APIRoute("/api/v1/sites/:code/history")
    /// `GET`: alerts (`state`, `lang`).
    public static let alerts = APIRoute("/api/v1/alerts")
    /// `GET`: the alert notification log.
    public static let alertNotifications = APIRoute("/api/v1/alerts/notifications")
    /// `GET`: silences (`expired`); `POST`: a new silence.
    public static let silences = APIRoute("/api/v1/silences")
    /// `DELETE`: expire a silence.
    public static let silence = APIRoute("/api/v1/silences/:id")
    /// `GET`: the weekly summary (`week`, `format`, `lang`).
    public static let weeklyReport = APIRoute("/api/v1/reports/weekly")
}
