// The weekly summary for 3,321 offices (every commune-level unit of Vietnam) in 700 former districts, chart
// included: what `sansang-collector report weekly` computes and renders once its input is read from the database.
// Built with the module's sources by bench/weekly-report.sh.
import Foundation
import ReadinessModel
import WeeklyReport

let week = ISOWeek("2026-W48")!
let names = ["Phường Hải Châu", "Xã Hòa Vang", "Xã Phước Hiệp", "Phường Điện Bàn Đông", "Xã Trà Đốc"]
let sites = (0..<3_321).map { i in
    Site(code: String(10_000 + i), name: "\(names[i % names.count]) \(i / names.count + 1)", type: i % 4 == 0 ? .phuong : .xa,
         province: "Tỉnh \(i / 50)", formerDistrict: "Huyện Đông Giang \(i % 700)")
}
let reasons: [[Reason]] = [
    [Reason(code: .linkBelowTarget, subject: "lan", impact: .notReady, evidence: "nic 1000 Mbit/s, target 10000 Mbit/s")],
    [Reason(code: .throughputLow, subject: "wan", impact: .notReady, evidence: "down 120 Mbit/s, up 95 Mbit/s, target 200 Mbit/s"),
     Reason(code: .serviceDown, subject: "dvc", impact: .notReady, evidence: "connect timeout")],
    [Reason(code: .serviceSlow, subject: "mail", impact: .degraded, evidence: "ttfb 2.4 s over 1.0 s")],
]
var now: [String: VerdictSnapshot] = [:]
var before: [String: VerdictSnapshot] = [:]
for (i, site) in sites.enumerated() {
    if i % 97 == 0 { continue }  // no verdict yet
    now[site.code] = i % 4 == 0 ? VerdictSnapshot(state: .notReady, reasons: reasons[i % 3]) : VerdictSnapshot(state: .ready)
    before[site.code] = i % 3 == 0 ? VerdictSnapshot(state: .notReady, reasons: reasons[i % 3]) : VerdictSnapshot(state: .ready)
}
let input = WeeklyReportInput(
    week: week, timeZone: TimeZone(identifier: "Asia/Ho_Chi_Minh")!, generatedAt: Date(), title: "Việt Nam", sites: sites,
    atEnd: now, atPreviousEnd: before,
    history: (0..<12).map { WeekFigure(week: week.advanced(by: $0 - 11), ready: 2_000 + 40 * $0, total: 3_321) },
    services: (0..<20).map { ServiceTally(service: "service-\($0)", ok: 9_000 + 40 * $0, total: 10_000) })

var times: [Double] = []
var bytes = 0
for _ in 0..<7 {
    let start = Date()
    let summary = WeeklySummary(input)
    let png = try WeeklyChart.png(summary)
    let html = WeeklyReportRenderer.html(summary, chartSource: "cid:chart")
    let text = WeeklyReportRenderer.text(summary)
    let csv = WeeklyReportRenderer.csv(summary)
    let json = try summary.json()
    times.append(Date().timeIntervalSince(start))
    bytes = png.count + html.utf8.count + text.utf8.count + csv.utf8.count + json.count
}
times.sort()
print(String(format: "weekly summary, 3,321 sites, chart included: median %.0f ms, worst %.0f ms (7 runs, first included); %d KiB written",
             times[times.count / 2] * 1_000, times.last! * 1_000, bytes / 1_024))
