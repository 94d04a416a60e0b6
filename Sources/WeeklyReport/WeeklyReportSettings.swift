import Presentation
import YAMLConfig

/// `weekly_report:` of collector.yaml — who gets the weekly readiness summary and how (docs/weekly-report.md);
/// decoded here, next to the summary, and composed by `CollectorConfiguration`.
public struct WeeklyReportSettings: Sendable, Hashable {
    public var to: [String] = []
    public var language: Language = .vi
    /// The report's title, e.g. the province.
    public var title = "Đà Nẵng"

    public init() {}
}

extension NodeReader {
    /// The `weekly_report:` mapping. `isAddress` tells an e-mail address (the Mail module's parser; this pure module
    /// does not link the mail library); problems are reported with file:line and field.
    public mutating func weeklyReportSettings(_ field: Field, isAddress: (String) -> Bool) -> WeeklyReportSettings? {
        guard let entries = mapping(field, allowed: ["to", "lang", "title"]) else { return nil }
        var settings = WeeklyReportSettings()
        if let items = entries["to"].flatMap({ list($0) }) {
            settings.to = items.compactMap { item in
                guard let address = nonEmptyString(item) else { return nil }
                guard isAddress(address) else {
                    report(.badValue, "\"\(address)\" is not an e-mail address", at: item)
                    return nil
                }
                return address
            }
        }
        if let language = entries["lang"].flatMap({ enumeration($0, Language.self) }) { settings.language = language }
        if let title = entries["title"].flatMap({ nonEmptyString($0) }) { settings.title = title }
        return settings
    }
}
