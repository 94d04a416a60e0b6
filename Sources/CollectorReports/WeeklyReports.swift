import CollectorCore
import CollectorStore
import Foundation
import Mail
import Presentation
import ReadinessModel
import WeeklyReport
import WeeklyReportChart

/// The weekly readiness summary from the collector's database (docs/weekly-report.md): the week's figures, the
/// renderings, and the mail for leadership.
public struct WeeklyReports: Sendable {
    public let collector: Collector
    public let settings: CollectorConfiguration.WeeklyReportSettings
    /// Weeks are cut in the offices' local time.
    public let timeZone: TimeZone

    public init(collector: Collector, settings: CollectorConfiguration.WeeklyReportSettings,
                timeZone: TimeZone = OfficeTime.zone) {
        self.collector = collector
        self.settings = settings
        self.timeZone = timeZone
    }

    /// The week a report is about when none is named: the last complete one (the timer runs on Monday morning).
    public func defaultWeek(now: Date = Date()) -> ISOWeek { ISOWeek.containing(now, in: timeZone).previous }

    /// The summary of `week` as the database knows it at `now`. A week not over yet is read as of now.
    public func summary(week: ISOWeek, now: Date = Date()) async throws -> WeeklySummary {
        WeeklySummary(try await input(week: week, now: now))
    }

    func input(week: ISOWeek, now: Date) async throws -> WeeklyReportInput {
        let store = collector.store
        let sites = collector.inventory.sites
        let offices = sites.filter(\.hasOffice)
        let end = min(week.end(in: timeZone), now)
        let transitions = try await store.allTransitions(upTo: end)
        // The verdict of each site at `moment`: its last transition at or before it.
        func snapshots(at moment: Date) -> [String: VerdictSnapshot] {
            var result: [String: VerdictSnapshot] = [:]
            for (site, list) in transitions {
                if let last = list.last(where: { $0.at <= moment }) {
                    result[site] = VerdictSnapshot(state: last.to, reasons: last.reasons)
                }
            }
            return result
        }
        let history = (0..<12).reversed().map { back -> WeekFigure in
            let past = week.advanced(by: -back)
            let moment = min(past.end(in: timeZone), now)
            let states = snapshots(at: moment)
            return WeekFigure(week: past, ready: offices.count { states[$0.code]?.state == .ready }, total: offices.count)
        }
        let tallies = try await store.serviceTallies(from: week.start(in: timeZone), to: week.end(in: timeZone))
        return WeeklyReportInput(
            week: week, timeZone: timeZone, generatedAt: now, title: settings.title, sites: sites, atEnd: snapshots(at: end),
            atPreviousEnd: snapshots(at: min(week.previous.end(in: timeZone), now)), history: history,
            services: tallies)
    }

    /// The mail for leadership: HTML with the chart inline (by Content-ID) and a plain-text alternative, the site
    /// table as a CSV attachment. Its outbox id is one per week and language, so a second run sends nothing new.
    public static func mail(_ summary: WeeklySummary, language: Language, from: MailAddress, to: [MailAddress],
                            now: Date = Date()) throws -> (id: String, message: MailMessage) {
        let chart = try WeeklyChart.png(summary, language: language)
        let id = "weekly-\(summary.week)-\(language.rawValue)"
        let message = MailMessage(
            from: from, to: to, subject: WeeklyReportRenderer.subject(summary, language: language), date: now,
            messageID: MailMessage.makeMessageID(from: from, unique: id), text: WeeklyReportRenderer.text(summary, language: language),
            html: WeeklyReportRenderer.html(summary, language: language,
                                            chartSource: "cid:" + WeeklyReportFiles.chartContentID(week: summary.week)),
            inlineImages: [InlinePart(contentID: WeeklyReportFiles.chartContentID(week: summary.week), contentType: "image/png",
                                      filename: WeeklyReportFiles.chartName(week: summary.week, language: language), data: chart)],
            attachments: [Attachment(filename: WeeklyReportFiles.csvName(week: summary.week, language: language),
                                     contentType: "text/csv; charset=utf-8",
                                     data: Data(WeeklyReportRenderer.csv(summary, language: language).utf8))],
            headers: [(name: "X-Sansang-Report", value: "weekly \(summary.week)")])
        return (id, message)
    }

    /// The files of `--out`: report.html (chart.png beside it), report.txt, the site table under the name the
    /// report gives it (`danh-sach-diem-2026-W49.csv`, `sites-2026-W49.csv` in English), chart.png, report.json.
    public static func files(_ summary: WeeklySummary, language: Language) throws -> [(name: String, data: Data)] {
        [
            ("report.html", Data(WeeklyReportRenderer.html(summary, language: language, chartSource: "chart.png").utf8)),
            ("report.txt", Data(WeeklyReportRenderer.text(summary, language: language).utf8)),
            (WeeklyReportFiles.csvName(week: summary.week, language: language), Data(WeeklyReportRenderer.csv(summary, language: language).utf8)),
            ("chart.png", try WeeklyChart.png(summary, language: language)),
            ("report.json", try summary.json(pretty: true)),
        ]
    }
}
