import Foundation
import Presentation
import ReadinessModel

/// A notice group in words: the mail subject, plain text and HTML, and the webhook's JSON body (docs/alerts.md).
public struct NoticeGroupMessage: Sendable {
    public let group: NoticeGroup
    public let language: Language
    /// Local time for the dates people read.
    public let timeZone: TimeZone

    public init(group: NoticeGroup, language: Language, timeZone: TimeZone = OfficeTime.zone) {
        self.group = group
        self.language = language
        self.timeZone = timeZone
    }

    private var sortedNotices: [AlertNotice] { group.notices.sorted { ($0.labels["former_district"] ?? "", $0.siteName) < ($1.labels["former_district"] ?? "", $1.siteName) } }

    private var rules: [String] { Array(Set(group.notices.map(\.rule))).sorted() }

    /// "[CẢNH BÁO] service_down: 12 điểm — Phường Hải Châu, Phường Thạc Gián, …"
    public var subject: String {
        let t = language.pick
        let tag: String
        switch group.state {
        case .resolved: tag = t("[ĐÃ KHẮC PHỤC]", "[RESOLVED]")
        default: tag = group.notices.contains { $0.severity == .critical } ? t("[KHẨN]", "[CRITICAL]") : t("[CẢNH BÁO]", "[WARNING]")
        }
        let notices = sortedNotices
        if notices.count == 1, let only = notices.first { return "\(tag) \(only.summary(language))" }
        let names = notices.prefix(3).map(\.siteName).joined(separator: ", ") + (notices.count > 3 ? ", …" : "")
        return "\(tag) \(rules.joined(separator: ", ")): \(notices.count) \(t("điểm", "sites")) — \(names)"
    }

    public var text: String {
        let t = language.pick
        var lines = [subject, ""]
        lines.append(group.state == .resolved
                     ? t("Các cảnh báo sau đã hết:", "These alerts have ended:")
                     : t("Các cảnh báo sau đang hoạt động:", "These alerts are firing:"))
        for notice in sortedNotices {
            lines.append("- \(notice.summary(language))")
            lines.append("  \(t("mức", "severity")): \(notice.severity.rawValue), \(t("từ", "since")) \(format(notice.firedAt ?? notice.activeSince))"
                         + (notice.resolvedAt.map { ", \(t("hết lúc", "ended")) \(format($0))" } ?? ""))
        }
        lines.append("")
        lines.append(t("— sansang, giám sát sẵn sàng hạ tầng mạng cấp xã", "— sansang, commune network readiness monitor"))
        return lines.joined(separator: "\n") + "\n"
    }

    public var html: String {
        let t = language.pick
        let color = group.state == .resolved ? "#1b7a3a" : (group.notices.contains { $0.severity == .critical } ? "#b42318" : "#b54708")
        var rows = ""
        for notice in sortedNotices {
            rows += """
            <tr><td style="padding:6px 8px;border-top:1px solid #ddd">\(HTMLText.escape(notice.summary(language)))<br>\
            <span style="color:#666;font-size:13px">\(HTMLText.escape(notice.severity.rawValue)) · \(HTMLText.escape(format(notice.firedAt ?? notice.activeSince)))\
            \(notice.resolvedAt.map { " → " + HTMLText.escape(format($0)) } ?? "")</span></td></tr>

            """
        }
        return """
        <!DOCTYPE html>
        <html lang="\(language.rawValue)"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">\
        <title>\(HTMLText.escape(subject))</title></head>
        <body style="margin:0;padding:0;font-family:Arial,Helvetica,sans-serif;font-size:15px;color:#222">
        <table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:600px">
        <tr><td style="padding:10px 8px;background:\(color);color:#fff;font-weight:bold">\(HTMLText.escape(subject))</td></tr>
        \(rows)<tr><td style="padding:10px 8px;color:#666;font-size:12px">\(HTMLText.escape(t("sansang — giám sát sẵn sàng hạ tầng mạng cấp xã", "sansang — commune network readiness monitor")))</td></tr>
        </table></body></html>

        """
    }

    private func format(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "yyyy-MM-dd HH:mm xxx"
        return formatter.string(from: date)
    }
}

/// The JSON a webhook receiver gets (docs/alerts.md): one group, every notice with both summaries.
public struct WebhookPayload: Sendable, Codable {
    public var version = "1"
    public var id: Int64
    public var receiver: String
    public var status: AlertInstance.State
    public var groupKey: String
    public var groupLabels: [String: String]
    public var alerts: [AlertNotice]

    public init(id: Int64, group: NoticeGroup) {
        self.id = id
        receiver = group.receiver
        status = group.state
        groupKey = group.key
        groupLabels = group.labels
        alerts = group.notices.sorted { $0.key < $1.key }
    }

    enum CodingKeys: String, CodingKey {
        case version, id, receiver, status, alerts
        case groupKey = "group_key"
        case groupLabels = "group_labels"
    }
}

/// One alert as Prometheus Alertmanager's `POST /api/v2/alerts` takes it.
public struct AlertmanagerAlert: Sendable, Codable, Hashable {
    public var labels: [String: String]
    public var annotations: [String: String]
    public var startsAt: Date
    public var endsAt: Date?
    public var generatorURL: String?

    /// A firing notice without an end (Alertmanager ends it after its resolve timeout unless re-sent), a
    /// resolved one with its end.
    public init(_ notice: AlertNotice, generatorURL: String? = nil) {
        labels = notice.labels
        annotations = ["summary": notice.summaryVietnamese, "summary_en": notice.summaryEnglish,
                       "subjects": notice.match.subjects.joined(separator: ", ")]
        startsAt = notice.firedAt ?? notice.activeSince
        endsAt = notice.resolvedAt
        self.generatorURL = generatorURL
    }
}
