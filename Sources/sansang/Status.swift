import ArgumentParser
import CommandLineSupport
import Foundation
import NOCClient
import Presentation
import ReadinessModel
import SansangAPI

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The ready/total figure of the fleet, and the table by group.",
        discussion: """
            Exits 0 when every office is ready, 1 when some are not (or the collector could not be asked), \
            2 on usage or configuration errors.

            Examples:
              sansang status
              sansang status --group-by former_district --lang en
              sansang status --group-by type --csv
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "Group by province, former_district, type or profile.")
    var groupBy: RollUpDimension?

    func run() async throws {
        let client = try connection.client()
        let body = try await request { () async throws(NOCClientError) in try await client.readiness(groupBy: groupBy) }
        let t = connection.lang.pick
        let rows = body.groups.map { group in Self.row(group.key, group.tally) }
        let header = [t("Nhóm", "Group"), t("Sẵn sàng", "Ready"), t("Tổng", "Total"), t("Suy giảm", "Degraded"),
                      t("Chưa sẵn sàng", "Not ready"), t("Không rõ", "Unknown"), t("Lý do chính", "Top reasons")]
        if output.json {
            try printJSON(body)
        } else if output.csv {
            print(CSVText.document(header: header, rows: rows + [Self.row(t("Tổng cộng", "Total"), body.overall)]), terminator: "")
        } else {
            let overall = body.overall
            let percent = overall.total == 0 ? 0 : Double(overall.ready) * 100 / Double(overall.total)
            print(t("Sẵn sàng", "Ready") + ": \(overall.summary) " + t("trụ sở", "offices")
                  + " (\(Self.percent(percent, connection.lang)))")
            if !rows.isEmpty {
                print("")
                print(TextTable(header: header, rows: rows, alignments: [.left, .right, .right, .right, .right, .right]).render(),
                      terminator: "")
            }
        }
        if body.overall.ready < body.overall.total { throw ExitCode.failure }
    }

    static func row(_ key: String, _ tally: TallyBody) -> [String] {
        let top = tally.byReason.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(3).map { "\($0.key) ×\($0.value)" }
        return [key, "\(tally.ready)", "\(tally.total)", "\(tally.byState["degraded"] ?? 0)",
                "\(tally.byState["not_ready"] ?? 0)", "\(tally.byState["unknown"] ?? 0)", top.joined(separator: ", ")]
    }

    /// "88,6 %" in Vietnamese (decimal comma), "88.6 %" in English.
    static func percent(_ value: Double, _ language: Language) -> String {
        let text = String(format: "%.1f %%", value)
        return language == .vi ? text.replacingOccurrences(of: ".", with: ",") : text
    }
}

extension RollUpDimension: ExpressibleByArgument {}
extension VerdictState: ExpressibleByArgument {}
