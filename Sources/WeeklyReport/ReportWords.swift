import Foundation
import Presentation
import ReadinessModel

/// The sentences and labels of the weekly report in one language, shared by the e-mail, the text, the CSV
/// and the chart so that they say the same thing the same way. Vietnamese is written in NFC.
package struct ReportWords {
    package let language: Language
    let reasons: ReasonWording

    package init(_ language: Language) {
        self.language = language
        reasons = ReasonWording(language: language)
    }

    private var t: (String, String) -> String { language.pick }

    var reportName: String { t("Báo cáo sẵn sàng hằng tuần", "Weekly readiness report") }

    /// "Tuần 2026-W48 (23/11/2026 – 29/11/2026)".
    func weekLine(_ s: WeeklySummary) -> String {
        t("Tuần", "Week") + " \(s.week) (\(s.firstDay.dayMonthYear) – \(s.lastDay.dayMonthYear))"
    }

    /// "78/88".
    func figure(_ s: WeeklySummary) -> String { "\(s.ready)/\(s.total)" }

    /// "điểm sẵn sàng (88%)".
    func figureCaption(_ s: WeeklySummary) -> String {
        let percent = s.readyPercent.map { " (\(self.percent($0, decimals: 0)))" } ?? ""
        return t("điểm sẵn sàng", "sites ready") + percent
    }

    /// "+3", "-2", "±0".
    static func signed(_ n: Int) -> String { n > 0 ? "+\(n)" : n < 0 ? "-\(-n)" : "±0" }

    /// "+3 so với tuần trước (75/88)".
    func changeLine(_ s: WeeklySummary) -> String {
        let before = "\(s.readyPrevious)/\(s.total)"
        if s.change == 0 { return t("Không đổi so với tuần trước (\(before))", "No change since last week (\(before))") }
        return Self.signed(s.change) + t(" so với tuần trước (\(before))", " since last week (\(before))")
    }

    /// The estimate of when every office will be ready, as a sentence.
    func estimateLine(_ s: WeeklySummary) -> String {
        if s.notReady <= 0 { return t("Tất cả các điểm đã sẵn sàng.", "All sites are ready.") }
        guard let pace = s.pace else {
            return t("Chưa đủ số liệu các tuần trước để ước tính khi nào tất cả sẵn sàng.",
                     "Not enough weekly history to estimate when all sites will be ready.")
        }
        let rate = (pace > 0 ? "+" : "") + number(pace, decimals: 1)
        guard let estimate = s.estimate else {
            return t("Không có tiến triển với tốc độ hiện nay (\(rate) điểm/tuần, trung bình 4 tuần): chưa thể ước tính.",
                     "No progress at the current pace (\(rate) sites/week, 4-week average): no estimate.")
        }
        return t("Với tốc độ hiện nay (\(rate) điểm/tuần, trung bình 4 tuần), \(s.notReady) điểm còn lại sẽ sẵn sàng "
                 + "sau khoảng \(estimate.weeks) tuần: tuần \(estimate.week), trước ngày \(estimate.lastDay.dayMonthYear).",
                 "At the current pace (\(rate) sites/week, 4-week average) the remaining \(siteCount(s.notReady)) will be "
                 + "ready in about \(estimate.weeks == 1 ? "1 week" : "\(estimate.weeks) weeks"): week \(estimate.week), "
                 + "by \(estimate.lastDay.dayMonthYear).")
    }

    var newlyReadyTitle: String { t("Mới sẵn sàng", "Newly ready") }
    var regressedTitle: String { t("Không còn sẵn sàng", "No longer ready") }
    var stillNotReadyTitle: String { t("Vẫn chưa sẵn sàng, theo quận/huyện cũ và lý do", "Still not ready, by former district and reason") }
    package var districtsTitle: String { t("Theo quận/huyện cũ", "By former district") }
    package var trendTitle: String { t("Số điểm sẵn sàng cuối mỗi tuần", "Sites ready at the end of each week") }
    var servicesTitle: String { t("Tính khả dụng của dịch vụ trong tuần", "Service availability over the week") }
    var none: String { t("Không có.", "None.") }
    /// Names the file as it is attached (or written by `--out`): `WeeklyReportFiles.csvName`.
    func attachmentNote(_ s: WeeklySummary) -> String {
        let name = WeeklyReportFiles.csvName(week: s.week, language: language)
        return t("Bảng đầy đủ các điểm: tệp \(name) đính kèm.", "The full site table: the attached \(name).")
    }

    /// "Hải Châu: 2 điểm".
    func siteCount(_ n: Int) -> String { t("\(n) điểm", n == 1 ? "1 site" : "\(n) sites") }

    /// A section title with its count: "Mới sẵn sàng (3)".
    func titled(_ title: String, _ count: Int) -> String { "\(title) (\(count))" }

    var districtHeader: [String] { [t("Quận/huyện cũ", "Former district"), t("Sẵn sàng", "Ready"), t("Tuần trước", "Last week")] }
    var trendHeader: [String] { [t("Tuần", "Week"), t("Sẵn sàng", "Ready"), t("Tỷ lệ", "Share")] }
    var serviceHeader: [String] { [t("Dịch vụ", "Service"), t("Khả dụng", "Available"), t("Đạt/tổng", "Passed/checks")] }
    package var legendReady: String { t("Sẵn sàng", "Ready") }
    package var legendTotal: String { t("Tổng số điểm", "All sites") }
    package var noDataYet: String { t("Chưa có số liệu", "No data yet") }

    func districtRow(_ d: DistrictFigure) -> [String] { [d.district, "\(d.ready)/\(d.total)", "\(d.readyPrevious)/\(d.total)"] }

    func trendRow(_ w: WeekFigure) -> [String] {
        [w.week.description, "\(w.ready)/\(w.total)", w.total > 0 ? percent(100 * Double(w.ready) / Double(w.total), decimals: 0) : "–"]
    }

    func serviceRow(_ a: ServiceAvailability) -> [String] {
        [a.service, a.percent.map { percent($0, decimals: 1) } ?? t("không kiểm tra", "not checked"), "\(a.ok)/\(a.total)"]
    }

    /// "sẵn sàng → chưa sẵn sàng".
    func transition(_ r: Regression) -> String { "\(reasons.state(r.previous)) → \(reasons.state(r.current))" }

    /// "dịch vụ dvc không truy cập được (SERVICE_DOWN:dvc)".
    func reason(code: ReasonCode, subject: String?) -> String {
        let key = ReasonKey(code: code, subject: subject)
        return "\(reasons.phrase(Reason(code: code, subject: subject, impact: .notReady, evidence: ""))) (\(key))"
    }

    /// The reasons of a site in words, "; " between them.
    func reasonList(_ list: [Reason]) -> String {
        list.map { reason(code: $0.code, subject: $0.subject) }.joined(separator: "; ")
    }

    /// "Phường Hải Châu (20242)".
    func site(_ s: SiteRef) -> String { "\(s.name) (\(s.code))" }

    /// "Không tính: Đặc khu Hoàng Sa (không có trụ sở)." or nil.
    func withoutOfficeNote(_ s: WeeklySummary) -> String? {
        guard !s.withoutOffice.isEmpty else { return nil }
        let names = s.withoutOffice.map(\.name).joined(separator: ", ")
        return t("Không tính: \(names) (không có trụ sở).", "Not counted: \(names) (no office).")
    }

    /// "Tạo lúc 07:00 30/11/2026 (Asia/Ho_Chi_Minh) bởi sansang."
    func generatedLine(_ s: WeeklySummary) -> String {
        let zone = TimeZone(identifier: s.timeZone) ?? .gmt
        let local = s.generatedAt.timeIntervalSince1970 + Double(zone.secondsFromGMT(for: s.generatedAt))
        let days = Int((local / 86_400).rounded(.down))
        let minutes = Int((local - Double(days) * 86_400) / 60)
        let time = String(format: "%02d:%02d", minutes / 60, minutes % 60)
        let day = CalendarDay(daysSince1970: days).dayMonthYear
        return t("Tạo lúc \(time) ngày \(day) (\(s.timeZone)) bởi sansang.", "Generated at \(time) on \(day) (\(s.timeZone)) by sansang.")
    }

    /// Rounded down, so that 99.96 % of checks never reads as 100 % (nor 87.9 % of sites as 88 %).
    func percent(_ value: Double, decimals: Int) -> String { number(value, decimals: decimals, roundingDown: true) + "%" }

    /// With the language's decimal separator: "2,5" in Vietnamese, "2.5" in English.
    func number(_ value: Double, decimals: Int, roundingDown: Bool = false) -> String {
        let factor = pow(10, Double(decimals))
        // The small nudge keeps 100 × 29 / 100 = 28.999999999999996 at 29 when rounding down.
        let scaled = roundingDown ? (value * factor + 1e-9).rounded(.down) / factor : (value * factor).rounded() / factor
        let text = String(format: "%.\(decimals)f", scaled)
        return language == .vi ? text.replacingOccurrences(of: ".", with: ",") : text
    }
}
