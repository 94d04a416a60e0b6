import Foundation
import Presentation
import ReadinessModel

/// Times, numbers and state names as pages show them: times on the offices' clock (the collector's
/// `office_time_zone:`, `Dashboard.Settings.officeTimeZone`), Vietnamese or English.
struct Formatting {
    let language: Language
    private let formatter: DateFormatter

    init(language: Language, timeZone: TimeZone) {
        self.language = language
        formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = language == .vi ? "dd/MM/yyyy HH:mm" : "yyyy-MM-dd HH:mm"
    }

    func time(_ date: Date?) -> String {
        guard let date else { return DashboardWording.text("never", language) }
        return formatter.string(from: date)
    }

    /// "78,4 %" or "78.4%".
    func percent(_ ratio: Double?) -> String { Self.percent(ratio, language: language) }

    static func percent(_ ratio: Double?, language: Language) -> String {
        guard let ratio else { return "–" }
        let text = String(format: "%.1f", ratio * 100)
        return language == .vi ? text.replacingOccurrences(of: ".", with: ",") + " %" : text + "%"
    }

    func number(_ value: Double, digits: Int = 1) -> String {
        let text = String(format: "%.\(digits)f", value)
        return language == .vi ? text.replacingOccurrences(of: ".", with: ",") : text
    }

    func state(_ state: VerdictState) -> String { ReasonWording(language: language).state(state) }

    func reason(_ reason: Reason) -> String { ReasonWording(language: language).phrase(reason) }

    func siteType(_ type: SiteType) -> String { language.pick(type.vietnameseName, type.englishName) }
}

/// The CSS class of a state's badge.
func stateClass(_ state: VerdictState) -> String {
    switch state {
    case .ready: "st-ready"
    case .degraded: "st-degraded"
    case .notReady: "st-not-ready"
    case .unknown: "st-unknown"
    }
}

/// A query string from parameters in order, empty values left out ("?verdict=ready&page=2", or "").
func queryString(_ items: [(String, String)]) -> String {
    let parts = items.filter { !$0.1.isEmpty }.map { name, value in
        "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value)"
    }
    return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
}

/// A path segment with everything but unreserved characters percent-encoded.
func pathSegment(_ text: String) -> String {
    text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
}

/// RFC 3986 unreserved characters, ASCII only (a Vietnamese letter is percent-encoded).
private let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
