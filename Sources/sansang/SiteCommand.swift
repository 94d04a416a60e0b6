import ArgumentParser
import CommandLineSupport
import Foundation
import NOCClient
import Presentation
import ReadinessModel
import SansangAPI

struct SiteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "site",
        abstract: "One site: its verdict with reasons and evidence, the latest report, recent history.",
        discussion: """
            Exits 0 when the site is ready, 1 when it is not (or it could not be asked), 2 on usage errors.

            Examples:
              sansang site 20242
              sansang site 20242 --days 30 --json
            """)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The site's official code, e.g. 20242.")
    var code: String

    @Option(help: "How many days of history to show.")
    var days: Int = 7

    @Flag(help: "Print the site and its history as JSON.")
    var json = false

    func run() async throws {
        let client = try connection.client()
        let detail = try await request { () async throws(NOCClientError) in try await client.site(code) }
        let now = Date()
        let history = try await request { () async throws(NOCClientError) in
            try await client.history(code, from: now.addingTimeInterval(-Double(days) * 86_400), to: now)
        }
        if json {
            try printJSON(SiteWithHistory(detail: detail, history: history))
        } else {
            print(render(detail, history), terminator: "")
        }
        if detail.verdict?.state != .ready { throw ExitCode.failure }
    }

    func render(_ detail: SiteDetailBody, _ history: SiteHistoryBody) -> String {
        let t = connection.lang.pick
        let wording = ReasonWording(language: connection.lang)
        let site = detail.site
        let zone = AlertsList.officeZone(detail.officeTimeZone)
        var out = ["\(site.name) (\(site.code)) — \(site.formerDistrict), \(site.province)"]
        out.append(t("Kết luận", "Verdict") + ": " + (detail.verdict.map { wording.state($0.state).uppercased() } ?? t("không đánh giá", "not evaluated"))
                   + " · " + t("báo cáo cuối", "last report") + ": " + (detail.lastReportAt.map { AlertsList.time($0, in: zone) } ?? "—"))
        for reason in detail.verdict?.reasons ?? [] {
            out.append("  \(reason): \(wording.phrase(reason)) — \(reason.evidence)")
        }
        if let report = detail.latestReport {
            out.append("")
            out.append(t("BẰNG CHỨNG TỐC ĐỘ", "SPEED EVIDENCE"))
            var table = TextTable(header: [t("Liên kết", "Link"), t("Nguồn", "Source"), t("Tốc độ", "Speed"), t("Ghi chú", "Note")])
            for link in report.links {
                for reading in link.speed {
                    table.rows.append([link.role.rawValue, reading.source.rawValue,
                                       reading.speedMbps.map { "\($0) Mbit/s" } ?? t("không rõ", "unknown"), reading.error ?? ""])
                }
                if let throughput = link.throughput {
                    for (direction, mbps) in throughput.mbps.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                        table.rows.append([link.role.rawValue, "throughput \(direction.rawValue)", String(format: "%.0f Mbit/s", mbps), throughput.server])
                    }
                }
            }
            out += table.lines()
            if !report.services.isEmpty {
                out.append("")
                out.append(t("DỊCH VỤ", "SERVICES"))
                var services = TextTable(header: [t("Dịch vụ", "Service"), t("Loại", "Kind"), t("Kết quả", "Result"), "ms"])
                for service in report.services {
                    services.rows.append([service.name, service.kind.rawValue, service.ok ? "ok" : (service.reason ?? t("lỗi", "failed")),
                                          service.totalMilliseconds.map { String(format: "%.0f", $0) } ?? "—"])
                }
                out += services.lines()
            }
        }
        out.append("")
        out.append(t("LỊCH SỬ", "HISTORY") + " (\(days) " + t("ngày", "days") + ")")
        if history.transitions.isEmpty {
            out.append("  " + t("không có thay đổi", "no changes"))
        }
        for transition in history.transitions {
            let from = transition.from.map(wording.state) ?? "—"
            out.append("  \(AlertsList.time(transition.at, in: zone))  \(from) → \(wording.state(transition.to))  "
                       + transition.reasons.map(\.description).joined(separator: " "))
        }
        return out.joined(separator: "\n") + "\n"
    }
}

/// `sansang site --json`: the API's site body and its history together.
struct SiteWithHistory: Encodable {
    var detail: SiteDetailBody
    var history: SiteHistoryBody
}
