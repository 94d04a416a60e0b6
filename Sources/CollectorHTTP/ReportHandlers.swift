import CollectorCore
import CollectorReports
import Foundation
import Hummingbird
import WeeklyReport
import WeeklyReportChart

/// `GET /api/v1/reports/weekly?week=2026-W48&format=json|html|csv|text&lang=vi|en` (NOC token).
struct ReportHandlers: Sendable {
    let reports: WeeklyReports
    let api: APIHandlers

    @Sendable func weekly(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        try await api.authenticate(request, context).requireNOC()
        let query = api.formQuery(request)
        let language = try api.language(query["lang"])
        let week: ISOWeek
        if let text = query["week"] {
            // As openapi.yaml says: 2000–2099, an upper-case W, a week the year has.
            guard let parsed = ISOWeek(text), (2000...2099).contains(parsed.year), text.contains("-W") else {
                throw CollectorError(.badParameter, "week must be an ISO week of 2000–2099 like 2026-W48, not \(text)")
            }
            week = parsed
        } else {
            week = reports.defaultWeek()
        }
        let summary = try await reports.collector.storage("reading the weekly figures") { try await reports.summary(week: week) }
        switch query["format"] ?? "json" {
        case "json":
            return body(try summary.json(), contentType: "application/json")
        case "csv":
            return body(Data(WeeklyReportRenderer.csv(summary, language: language).utf8), contentType: "text/csv; charset=utf-8",
                        filename: "sites-\(week).csv")
        case "text":
            return body(Data(WeeklyReportRenderer.text(summary, language: language).utf8), contentType: "text/plain; charset=utf-8")
        case "html":
            // One self-contained page: the chart inline as a data: URI (no second request, works offline).
            let chart = try WeeklyChart.png(summary, language: language)
            let html = WeeklyReportRenderer.html(summary, language: language,
                                                 chartSource: "data:image/png;base64," + chart.base64EncodedString())
            return body(Data(html.utf8), contentType: "text/html; charset=utf-8")
        case let other:
            throw CollectorError(.badParameter, "format must be json, html, csv or text, not \(other)")
        }
    }

    private func body(_ data: Data, contentType: String, filename: String? = nil) -> Response {
        var headers: HTTPFields = [.contentType: contentType]
        if let filename { headers[.contentDisposition] = "attachment; filename=\"\(filename)\"" }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
