import ArgumentParser
import CommandLineSupport
import Foundation
import NOCClient
import Presentation
import ReadinessModel
import SansangAPI

struct Sites: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List sites with their verdict and reasons, filtered.",
        discussion: """
            Examples:
              sansang sites --verdict not_ready
              sansang sites --reason LINK_BELOW_TARGET --former-district "Hòa Vang"
              sansang sites --reason SERVICE_DOWN:vneid --csv > vneid.csv
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "Only sites in this state: ready, degraded, not_ready, unknown.")
    var verdict: VerdictState?

    @Option(help: "Only sites with this reason: a code (LINK_BELOW_TARGET) or code:subject (SERVICE_DOWN:vneid).")
    var reason: String?

    @Option(help: "Only sites of this province.")
    var province: String?

    @Option(help: "Only sites of this former district.")
    var formerDistrict: String?

    @Option(help: "At most this many sites (all when 0).")
    var limit: Int = 0

    func run() async throws {
        let client = try connection.client()
        var filter = SiteFilter()
        filter.verdict = verdict
        filter.reason = reason
        filter.province = province
        filter.formerDistrict = formerDistrict
        var items: [SiteSummaryBody] = []
        var total = 0
        var zoneName: String?
        // Page through the whole list unless a limit is asked for.
        repeat {
            let pageSize = limit > 0 ? min(limit - items.count, 500) : 500
            let page = try await request { () async throws(NOCClientError) in
                try await client.sites(filter, limit: pageSize, offset: items.count)
            }
            total = page.total
            zoneName = page.officeTimeZone
            items += page.items
            if page.items.isEmpty { break }
        } while items.count < (limit > 0 ? min(limit, total) : total)

        let t = connection.lang.pick
        let wording = ReasonWording(language: connection.lang)
        let zone = AlertsList.officeZone(zoneName)
        let header = [t("Mã", "Code"), t("Tên", "Name"), t("Huyện cũ", "Former district"), t("Kết luận", "Verdict"),
                      t("Lý do", "Reasons"), t("Báo cáo cuối", "Last report")]
        let rows = items.map { item in
            [item.code, item.name, item.formerDistrict,
             item.state.map(wording.state) ?? t("không có trụ sở", "no office"),
             item.reasons.joined(separator: " "), item.lastReportAt.map { AlertsList.time($0, in: zone) } ?? "—"]
        }
        if output.json {
            try printJSON(SiteListBody(total: total, limit: items.count, offset: 0, items: items, officeTimeZone: zoneName))
        } else if output.csv {
            print(CSVText.document(header: header, rows: rows), terminator: "")
        } else {
            print(TextTable(header: header, rows: rows).render(), terminator: "")
            print(t("\(items.count) trong \(total) đơn vị", "\(items.count) of \(total) sites"))
        }
    }
}
