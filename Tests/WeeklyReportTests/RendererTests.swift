import Foundation
import Presentation
import ReadinessModel
import Testing
import WeeklyReport

@Suite struct RendererTests {
    static let summary = WeeklySummary(Fixture.danang)

    @Test func subjects() {
        #expect(WeeklyReportRenderer.subject(Self.summary) == "Báo cáo sẵn sàng tuần 2026-W48 (Đà Nẵng): 81/93 điểm sẵn sàng (+3)")
        #expect(WeeklyReportRenderer.subject(Self.summary, language: .en) == "Weekly readiness report 2026-W48 (Đà Nẵng): 81/93 sites ready (+3)")
        var worse = Self.summary
        worse.change = -2
        #expect(WeeklyReportRenderer.subject(worse).hasSuffix("(-2)"))
        worse.change = 0
        #expect(WeeklyReportRenderer.subject(worse).hasSuffix("(±0)"))
    }

    @Test func vietnameseOutputIsNFCEvenFromDecomposedInput() async throws {
        var input = Fixture.danang
        // A name typed on a system that stores decomposed letters (NFD): "Phường" as u + horn + grave …
        input.sites[0].name = "Phường Hải Châu".decomposedStringWithCanonicalMapping
        input.sites[0].formerDistrict = "Hải Châu".decomposedStringWithCanonicalMapping
        #expect(input.sites[0].name.unicodeScalars.count > "Phường Hải Châu".unicodeScalars.count)
        let summary = WeeklySummary(input)
        let outputs = [
            WeeklyReportRenderer.subject(summary), WeeklyReportRenderer.text(summary), WeeklyReportRenderer.csv(summary),
            WeeklyReportRenderer.html(summary, chartSource: "cid:chart"),
        ]
        for output in outputs {
            #expect(Array(output.unicodeScalars) == Array(output.precomposedStringWithCanonicalMapping.unicodeScalars))
        }
        // … and the Vietnamese words are there, composed.
        #expect(outputs[1].unicodeScalars.contains("\u{1EB5}"))  // ẵ as one code point
        #expect(outputs[2].contains("Phường Hải Châu"))
    }

    @Test func htmlEscapesAHostileSiteName() async throws {
        var input = Fixture.danang
        let index = try #require(input.sites.firstIndex { $0.code == Fixture.regressedOffice.code })
        input.sites[index].name = #"<img src=x onerror="alert('x')">&amp; Phường"#
        let html = WeeklyReportRenderer.html(WeeklySummary(input), chartSource: #"cid:chart" onload="x"#)
        #expect(!html.contains("<img src=x"))
        #expect(!html.contains(#"onerror="alert"#))
        #expect(html.contains("&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;amp; Phường"))
        #expect(html.contains(#"src="cid:chart&quot; onload=&quot;x""#))
        #expect(html.components(separatedBy: "<img ").count == 2)  // the chart only
    }

    @Test func htmlIsAMailLayout() {
        let html = WeeklyReportRenderer.html(Self.summary, chartSource: "cid:chart")
        #expect(html.contains(#"<html lang="vi">"#))
        #expect(WeeklyReportRenderer.html(Self.summary, language: .en, chartSource: nil).contains(#"<html lang="en">"#))
        #expect(html.contains(#"<meta charset="utf-8">"#))
        #expect(html.contains("max-width:600px"))
        #expect(html.contains(#"<!--[if mso]><table role="presentation" width="600""#))  // Outlook ignores max-width
        #expect(!html.contains("<style"))  // layout by inline styles and tables only
        #expect(!html.contains("class=\""))
        // The key figure as large text, and an alt text with the numbers for readers without images.
        #expect(html.contains(#"font-size:48px;font-weight:bold;line-height:1.1;color:#166534">81/93</div>"#))
        #expect(html.contains(#"alt="Biểu đồ: số điểm sẵn sàng cuối mỗi tuần, từ 60/93 (2026-W37) đến 81/93 (2026-W48)"#))
        // The chart's numbers as tables: every week and every district.
        #expect(html.contains(">2026-W37</td>"))
        #expect(html.contains(">Điện Bàn</td>"))
        #expect(!WeeklyReportRenderer.html(Self.summary, chartSource: nil).contains("<img"))
    }

    /// The body names the CSV by the name it is attached under, in the report's language, and the English
    /// report's files have English names.
    @Test func theBodyNamesTheRealCSVFileInEachLanguage() {
        let vi = WeeklyReportFiles.csvName(week: Self.summary.week, language: .vi)
        let en = WeeklyReportFiles.csvName(week: Self.summary.week, language: .en)
        #expect(vi == "danh-sach-diem-2026-W48.csv")
        #expect(en == "sites-2026-W48.csv")
        #expect(WeeklyReportFiles.chartName(week: Self.summary.week, language: .en) == "chart-2026-W48.png")
        #expect(WeeklyReportFiles.chartName(week: Self.summary.week, language: .vi) == "bieu-do-2026-W48.png")
        #expect(WeeklyReportFiles.chartContentID(week: Self.summary.week).contains("@"))
        for (language, name, other) in [(Language.vi, vi, en), (.en, en, vi)] {
            let text = WeeklyReportRenderer.text(Self.summary, language: language).replacingOccurrences(of: "\n", with: " ")
            let html = WeeklyReportRenderer.html(Self.summary, language: language, chartSource: nil)
            #expect(text.contains(name) && html.contains(name), "\(language)")
            #expect(!text.contains("sites.csv") && !text.contains(other) && !html.contains(other), "\(language)")
        }
    }

    @Test func textIsShortLinesWithTheFigures() {
        let text = WeeklyReportRenderer.text(Self.summary)
        let long = text.split(separator: "\n").filter { $0.count > 72 }
        #expect(long.isEmpty)
        #expect(text.contains("81/93 điểm sẵn sàng (87%)"))
        #expect(text.contains("+3 so với tuần trước (78/93)"))
        #expect(text.contains(Fixture.regressedOffice.name))
        #expect(text.replacingOccurrences(of: "\n", with: " ").contains(
            "Với tốc độ hiện nay (+2,3 điểm/tuần, trung bình 4 tuần), 12 điểm còn lại sẽ sẵn sàng sau khoảng 6 tuần: "
                + "tuần 2027-W01, trước ngày 10/01/2027."))
        let english = WeeklyReportRenderer.text(Self.summary, language: .en)
        #expect(english.contains("81/93 sites ready (87%)"))
        #expect(english.replacingOccurrences(of: "\n", with: " ").contains(
            "At the current pace (+2.3 sites/week, 4-week average) the remaining 12 sites will be ready in about 6 weeks: "
                + "week 2027-W01, by 10/01/2027."))
    }

    @Test(arguments: [
        ([80, 80, 80, 80, 80], "Không có tiến triển với tốc độ hiện nay (0,0 điểm/tuần", "No progress at the current pace (0.0 sites/week"),
        ([80, 79], "Không có tiến triển với tốc độ hiện nay (-1,0 điểm/tuần", "No progress at the current pace (-1.0 sites/week"),
        ([80], "Chưa đủ số liệu các tuần trước để ước tính", "Not enough weekly history to estimate"),
    ]) func estimateSentenceWithoutAnEstimate(history: [Int], vi: String, en: String) {
        var input = Fixture.danang
        input.history = Fixture.history(history, total: 93)
        let summary = WeeklySummary(input)
        #expect(summary.estimate == nil)
        #expect(WeeklyReportRenderer.text(summary).replacingOccurrences(of: "\n", with: " ").contains(vi))
        #expect(WeeklyReportRenderer.text(summary, language: .en).replacingOccurrences(of: "\n", with: " ").contains(en))
        #expect(WeeklyReportRenderer.html(summary, chartSource: nil).contains(vi))
    }

    @Test func csvRowsParseBack() async throws {
        var input = Fixture.danang
        input.sites[1].name = "Phường \"Hòa\" Cường, khu 1\nmới"  // a quote, a comma and a line break
        let summary = WeeklySummary(input)
        let csv = WeeklyReportRenderer.csv(summary)
        #expect(!csv.hasPrefix("\u{FEFF}"))
        let records = try parseCSV(csv)
        #expect(records.count == summary.sites.count + 1)
        #expect(records.count == 94)  // header + 93 offices
        #expect(records[0] == ["Mã", "Tên", "Loại", "Quận/huyện cũ", "Trạng thái", "Lý do (mã)", "Lý do", "Trạng thái tuần trước"])
        #expect(records.allSatisfy { $0.count == 8 })
        #expect(records[2][1] == "Phường \"Hòa\" Cường, khu 1\nmới")
        let regressed = try #require(records.first { $0[0] == Fixture.regressedOffice.code })
        #expect(regressed[4] == "chưa sẵn sàng")
        #expect(regressed[5] == "LINK_BELOW_TARGET:lan; SPEED_MISMATCH:lan")
        #expect(regressed[6] == "liên kết lan dưới mục tiêu; các nguồn báo tốc độ lan khác nhau")
        #expect(regressed[7] == "sẵn sàng")
        let english = try parseCSV(WeeklyReportRenderer.csv(summary, language: .en))
        #expect(english[0].first == "Code")
    }

    /// RFC 4180: CRLF between records, fields quoted when they hold a comma, quote or line break.
    func parseCSV(_ text: String) throws -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(text.unicodeScalars)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { field.unicodeScalars.append(chars.removeFirst()) } else { quoted = false }
                } else {
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                record.append(field)
                field = ""
            } else if c == "\r" {
                #expect(chars.popFirst() == "\n")
                record.append(field)
                records.append(record)
                record = []
                field = ""
            } else {
                field.unicodeScalars.append(c)
            }
        }
        #expect(record.isEmpty && field.isEmpty, "the last record ends with CRLF")
        return records
    }
}
