import YAMLConfig
import Inventory
import Presentation
import ReadinessModel

/// The summary of `inventory check` as text tables, in Vietnamese or English.
struct SummaryText {
    let summary: InventorySummary
    let language: Language

    private func t(_ vi: String, _ en: String) -> String { language.pick(vi, en) }

    func render() -> String {
        var out = t("Danh mục hợp lệ: \(summary.units) đơn vị hành chính cấp xã, \(summary.offices) trụ sở có thể cài agent.",
                    "Inventory valid: \(summary.units) commune-level units, \(summary.offices) offices that can run an agent.")
        out += "\n\n"
        out += t("Theo loại", "By type") + "\n"
        out += table(header: [t("Loại", "Type"), t("Đơn vị", "Units"), t("Trụ sở", "Offices")],
                     rows: summary.byType.map { [typeName($0.name), "\($0.units)", "\($0.offices)"] })
        out += "\n" + t("Theo huyện cũ (trước 01/7/2025)", "By former district (before 1 July 2025)") + "\n"
        out += table(header: [t("Huyện cũ", "Former district"), t("Đơn vị", "Units"), t("Trụ sở", "Offices")],
                     rows: summary.byFormerDistrict.map {
                         [$0.name.isEmpty ? t("(không rõ)", "(none)") : $0.name, "\($0.units)", "\($0.offices)"]
                     } + [[t("Tổng cộng", "Total"), "\(summary.units)", "\(summary.offices)"]])
        out += "\n" + t("Hồ sơ kiểm tra", "Check profiles") + "\n"
        out += table(header: [t("Hồ sơ", "Profile"), t("Đơn vị", "Sites"), t("Liên kết", "Links"), t("Dịch vụ", "Services")],
                     rows: summary.profiles.map { [$0.name, "\($0.sites)", "\($0.links)", "\($0.services)"] })
        return out
    }

    private func typeName(_ raw: String) -> String {
        guard let type = SiteType(rawValue: raw) else { return raw }
        return language.pick(type.vietnameseName, type.englishName)
    }

    /// First column left-aligned, the counts right-aligned.
    private func table(header: [String], rows: [[String]]) -> String {
        TextTable(header: header, rows: rows, alignments: [.left] + Array(repeating: .right, count: header.count - 1), indent: "  ").render()
    }
}
