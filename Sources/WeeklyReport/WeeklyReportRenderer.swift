import Foundation
import Presentation
import ReadinessModel

/// The weekly summary as an e-mail (HTML and its plain-text alternative), its subject and the CSV site table.
/// Pure: strings in, strings out, in NFC whatever the inventory's names were typed in.
public enum WeeklyReportRenderer {
    /// "Báo cáo sẵn sàng tuần 2026-W48 (Đà Nẵng): 78/88 điểm sẵn sàng (+3)".
    public static func subject(_ summary: WeeklySummary, language: Language = .vi) -> String {
        let w = ReportWords(language)
        let title = summary.title.isEmpty ? "" : " (\(summary.title))"
        let figure = "\(w.figure(summary)) \(language.pick("điểm sẵn sàng", "sites ready")) (\(ReportWords.signed(summary.change)))"
        return language.pick("Báo cáo sẵn sàng tuần \(summary.week)\(title): \(figure)",
                             "Weekly readiness report \(summary.week)\(title): \(figure)").precomposedStringWithCanonicalMapping
    }

    /// The site table, one row per office in inventory order, header in the language (RFC 4180, CRLF, no BOM):
    /// code, name, type, former district, state, reasons as codes, reasons in words, state last week.
    public static func csv(_ summary: WeeklySummary, language: Language = .vi) -> String {
        let w = ReportWords(language)
        let t = language.pick
        let header = [t("Mã", "Code"), t("Tên", "Name"), t("Loại", "Type"), t("Quận/huyện cũ", "Former district"),
                      t("Trạng thái", "State"), t("Lý do (mã)", "Reason codes"), t("Lý do", "Reasons"),
                      t("Trạng thái tuần trước", "State last week")]
        let rows = summary.sites.map { row in
            [row.code, row.name, t(row.type.vietnameseName, row.type.englishName), row.formerDistrict,
             w.reasons.state(row.state), row.reasons.map(\.description).joined(separator: "; "),
             row.reasons.map { w.reasons.phrase($0) }.joined(separator: "; "),
             row.previousState.map(w.reasons.state) ?? t("chưa có số liệu", "no data")]
        }
        return CSVText.document(header: header, rows: rows).precomposedStringWithCanonicalMapping
    }

    /// The plain-text alternative of the e-mail: the same sections, lines of at most 72 columns where words allow.
    public static func text(_ summary: WeeklySummary, language: Language = .vi) -> String {
        let w = ReportWords(language)
        var out = PlainText()
        out.heading(summary.title.isEmpty ? w.reportName : "\(w.reportName) – \(summary.title)")
        out.paragraph(w.weekLine(summary))
        out.blank()
        out.paragraph("\(w.figure(summary)) \(w.figureCaption(summary))")
        out.paragraph(w.changeLine(summary))
        out.paragraph(w.estimateLine(summary))

        out.section(w.titled(w.newlyReadyTitle, summary.newlyReady.count))
        if summary.newlyReady.isEmpty { out.paragraph(w.none) }
        for site in summary.newlyReady { out.bullet("\(w.site(site)), \(site.formerDistrict)") }

        out.section(w.titled(w.regressedTitle, summary.regressed.count))
        if summary.regressed.isEmpty { out.paragraph(w.none) }
        for entry in summary.regressed {
            out.bullet("\(w.site(entry.site)), \(entry.site.formerDistrict): \(w.transition(entry)); \(w.reasonList(entry.reasons))")
        }

        out.section(w.titled(w.stillNotReadyTitle, summary.stillNotReady.reduce(0) { $0 + $1.sites }))
        if summary.stillNotReady.isEmpty { out.paragraph(w.none) }
        for district in summary.stillNotReady {
            out.paragraph("\(district.district): \(w.siteCount(district.sites))")
            for group in district.reasons {
                out.bullet("\(w.reason(code: group.code, subject: group.subject)): \(group.sites.map(w.site).joined(separator: ", "))")
            }
        }

        out.section(w.districtsTitle)
        out.table(TextTable(header: w.districtHeader, rows: summary.districts.map(w.districtRow), alignments: [.left, .right, .right]))
        out.section(w.trendTitle)
        out.table(TextTable(header: w.trendHeader, rows: summary.trend.map(w.trendRow), alignments: [.left, .right, .right]))
        out.section(w.servicesTitle)
        if summary.services.isEmpty {
            out.paragraph(w.none)
        } else {
            out.table(TextTable(header: w.serviceHeader, rows: summary.services.map(w.serviceRow), alignments: [.left, .right, .right]))
        }

        out.blank()
        out.paragraph(w.attachmentNote(summary))
        if let note = w.withoutOfficeNote(summary) { out.paragraph(note) }
        out.paragraph(w.generatedLine(summary))
        return out.text.precomposedStringWithCanonicalMapping
    }

    /// The e-mail's HTML: one table-laid column of at most 600 px that narrows with the window, inline styles
    /// only, every figure as text (the chart repeats what the tables say). `chartSource` is the chart's `src`
    /// ("cid:chart" in mail, "chart.png" beside a file, a `data:` URI from the API); nil leaves the chart out.
    public static func html(_ summary: WeeklySummary, language: Language = .vi, chartSource: String?) -> String {
        let w = ReportWords(language)
        var page = HTMLMail()
        page.block(
            Style.div("font-size:13px;color:#4b5563;text-transform:uppercase;letter-spacing:0.5px", w.reportName)
                + Style.div("font-size:22px;font-weight:bold;line-height:1.3;margin-top:4px", summary.title)
                + Style.div("font-size:14px;color:#4b5563;margin-top:2px", w.weekLine(summary)),
            top: 20)
        let changeColour = summary.change > 0 ? "#166534" : summary.change < 0 ? "#b91c1c" : "#4b5563"
        page.block(
            Style.div("font-size:48px;font-weight:bold;line-height:1.1;color:#166534", w.figure(summary))
                + Style.div("font-size:16px;margin-top:2px", w.figureCaption(summary))
                + Style.div("font-size:16px;font-weight:bold;margin-top:8px;color:\(changeColour)", w.changeLine(summary))
                + Style.paragraph(w.estimateLine(summary)))
        if let chartSource {
            page.block("<img src=\"\(HTMLText.escape(chartSource))\" width=\"560\" alt=\"\(HTMLText.escape(chartDescription(summary, w)))\" "
                       + "style=\"display:block;width:100%;max-width:560px;height:auto;border:0;font-size:14px;line-height:1.4;color:#1f2937\">")
        }

        page.section(w.titled(w.newlyReadyTitle, summary.newlyReady.count),
                     summary.newlyReady.isEmpty ? Style.paragraph(w.none) : summary.newlyReady.map {
                         Style.paragraph("<strong>\(HTMLText.escape(w.site($0)))</strong> – \(HTMLText.escape($0.formerDistrict))", raw: true)
                     }.joined())
        page.section(w.titled(w.regressedTitle, summary.regressed.count),
                     summary.regressed.isEmpty ? Style.paragraph(w.none) : summary.regressed.map {
                         Style.paragraph("<strong>\(HTMLText.escape(w.site($0.site)))</strong> – \(HTMLText.escape($0.site.formerDistrict))<br>"
                                         + "\(HTMLText.escape(w.transition($0))): \(HTMLText.escape(w.reasonList($0.reasons)))", raw: true)
                     }.joined())
        page.section(w.titled(w.stillNotReadyTitle, summary.stillNotReady.reduce(0) { $0 + $1.sites }),
                     summary.stillNotReady.isEmpty ? Style.paragraph(w.none) : summary.stillNotReady.map { district in
                         Style.div("font-size:15px;font-weight:bold;margin-top:10px", "\(district.district): \(w.siteCount(district.sites))")
                             + district.reasons.map {
                                 Style.paragraph("<em>\(HTMLText.escape(w.reason(code: $0.code, subject: $0.subject)))</em>: "
                                                 + HTMLText.escape($0.sites.map(w.site).joined(separator: ", ")), raw: true)
                             }.joined()
                     }.joined())
        page.section(w.districtsTitle, Style.table(header: w.districtHeader, rows: summary.districts.map(w.districtRow)))
        page.section(w.trendTitle, Style.table(header: w.trendHeader, rows: summary.trend.map(w.trendRow)))
        page.section(w.servicesTitle, summary.services.isEmpty ? Style.paragraph(w.none)
                     : Style.table(header: w.serviceHeader, rows: summary.services.map(w.serviceRow)))
        page.block(([w.attachmentNote(summary)] + [w.withoutOfficeNote(summary)].compactMap { $0 } + [w.generatedLine(summary)])
            .map { Style.div("font-size:12px;color:#6b7280;margin-top:4px", $0) }.joined(), top: 8)
        return page.document(language: language, title: subject(summary, language: language)).precomposedStringWithCanonicalMapping
    }

    /// The chart's alt text: what it shows, with the numbers, for a reader whose mail client blocks images.
    static func chartDescription(_ s: WeeklySummary, _ w: ReportWords) -> String {
        let trend = s.trend.first.map { first in
            w.language.pick("từ \(first.ready)/\(first.total) (\(first.week)) đến \(w.figure(s)) (\(s.week))",
                            "from \(first.ready)/\(first.total) (\(first.week)) to \(w.figure(s)) (\(s.week))")
        } ?? w.figure(s)
        return w.language.pick(
            "Biểu đồ: số điểm sẵn sàng cuối mỗi tuần, \(trend); và sẵn sàng/tổng theo quận/huyện cũ (các bảng bên dưới có cùng số liệu).",
            "Chart: sites ready at the end of each week, \(trend); and ready/total by former district (the tables below hold the same figures).")
    }
}

/// Inline-styled HTML pieces that mail clients (Gmail, Outlook, Apple Mail) render alike.
private enum Style {
    static let cell = "padding:4px 6px;border-bottom:1px solid #e5e7eb;vertical-align:top"

    static func div(_ style: String, _ text: String) -> String {
        "<div style=\"\(style)\">\(HTMLText.escape(text))</div>"
    }

    /// A paragraph of text, escaped unless `raw` (already escaped markup).
    static func paragraph(_ text: String, raw: Bool = false) -> String {
        "<p style=\"margin:6px 0;font-size:14px;line-height:1.45\">\(raw ? text : HTMLText.escape(text))</p>"
    }

    /// A data table: first column left, the others right-aligned figures.
    static func table(header: [String], rows: [[String]]) -> String {
        func cells(_ row: [String], tag: String, style: String) -> String {
            row.enumerated().map { index, text in
                "<\(tag) style=\"\(style);text-align:\(index == 0 ? "left" : "right")\">\(HTMLText.escape(text))</\(tag)>"
            }.joined()
        }
        let head = "<tr>" + cells(header, tag: "th", style: cell + ";border-bottom:2px solid #9ca3af;font-size:13px;color:#374151") + "</tr>"
        let body = rows.map { "<tr>" + cells($0, tag: "td", style: cell) + "</tr>" }.joined()
        return "<table role=\"table\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" "
            + "style=\"width:100%;border-collapse:collapse;font-size:14px;line-height:1.35\">\(head)\(body)</table>"
    }
}

/// The e-mail's frame: a centred column of rows, each row one block. Outlook for Windows ignores `max-width`,
/// so a table of 600 px that only it reads (a conditional comment) holds the column there.
private struct HTMLMail {
    private var rows = ""

    mutating func block(_ html: String, top: Int = 0) {
        rows += "<tr><td style=\"padding:\(top)px 20px 16px 20px\">\(html)</td></tr>"
    }

    mutating func section(_ title: String, _ html: String) {
        block("<h2 style=\"margin:0 0 6px 0;font-size:17px;line-height:1.3;border-top:1px solid #e5e7eb;padding-top:12px\">"
              + HTMLText.escape(title) + "</h2>" + html)
    }

    func document(language: Language, title: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="\(language.rawValue)">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTMLText.escape(title))</title>
        </head>
        <body style="margin:0;padding:0;background:#f3f4f6">
        <table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="width:100%;background:#f3f4f6">
        <tr><td align="center" style="padding:12px 6px">
        <!--[if mso]><table role="presentation" width="600" align="center" cellpadding="0" cellspacing="0" border="0"><tr><td><![endif]-->
        <table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" \
        style="width:100%;max-width:600px;background:#ffffff;font-family:Arial,Helvetica,'DejaVu Sans',sans-serif;\
        color:#1f2937;overflow-wrap:break-word;word-wrap:break-word;word-break:break-word">
        \(rows)
        </table>
        <!--[if mso]></td></tr></table><![endif]-->
        </td></tr>
        </table>
        </body>
        </html>

        """
    }
}

/// The plain-text e-mail being written: paragraphs wrapped at 72 columns, bullets hanging.
private struct PlainText {
    private(set) var text = ""
    static let width = 72

    mutating func heading(_ title: String) {
        paragraph(title)
        text += String(repeating: "=", count: min(Self.width, title.count)) + "\n"
    }

    mutating func section(_ title: String) {
        blank()
        paragraph(title)
        text += String(repeating: "-", count: min(Self.width, title.count)) + "\n"
    }

    mutating func blank() { text += "\n" }

    mutating func paragraph(_ words: String) { wrap(words, first: "", rest: "") }

    mutating func bullet(_ words: String) { wrap(words, first: "- ", rest: "  ") }

    mutating func table(_ table: TextTable) { text += table.render() }

    /// Greedy wrapping on spaces; a word longer than a line stands alone on its line.
    private mutating func wrap(_ words: String, first: String, rest: String) {
        var line = first
        var empty = true
        for word in words.split(separator: " ", omittingEmptySubsequences: true) {
            if !empty, line.count + 1 + word.count > Self.width {
                text += line + "\n"
                line = rest
                empty = true
            }
            line += (empty ? "" : " ") + word
            empty = false
        }
        text += line + "\n"
    }
}
