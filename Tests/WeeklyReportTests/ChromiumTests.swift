import Foundation
import Presentation
import Testing
import TestSupport
@testable import WeeklyReport
import WeeklyReportChart

/// The e-mail's HTML as a real browser engine lays it out: headless Chromium at a phone's width, printed to PDF
/// and read back with pdftotext, with and without images. Serialized: two Chromiums at once starve two cores.
@Suite(.serialized) struct ChromiumTests {
    static let summary = WeeklySummary(Fixture.danang)

    /// Writes report.html (chart as chart.png beside it) into a fresh directory and runs `body` on it.
    func withReport<T>(_ summary: WeeklySummary = Self.summary, _ body: (URL) async throws -> T) async throws -> T {
        try await withTemporaryDirectory { directory in
            try WeeklyChart.png(summary).write(to: directory.appendingPathComponent("chart.png"))
            let html = WeeklyReportRenderer.html(summary, chartSource: "chart.png")
            try Data(html.utf8).write(to: directory.appendingPathComponent("report.html"))
            return try await body(directory)
        }
    }

    /// Runs headless Chromium on `page` with its own profile and HOME, for at most two minutes.
    func chromium(_ arguments: [String], page: URL, in directory: URL) async throws -> ProgramRun {
        let home = directory.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        return try await runCapturing(
            ["timeout", "120", "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=\(home.path)/profile"] + arguments + [page.absoluteString],
            environment: ["HOME": home.path])
    }

    @Test func screenshotAtAPhonesWidth() async throws {
        try await withReport { directory in
            let shot = directory.appendingPathComponent("shot.png")
            let run = try await chromium(["--screenshot=\(shot.path)", "--window-size=375,2000"],
                                   page: directory.appendingPathComponent("report.html"), in: directory)
            let png = try #require(FileManager.default.contents(atPath: shot.path), "no screenshot: \(run.stderr)")
            #expect(PNGHeader(png)?.width == 375)
            #expect(PNGHeader(png)?.height == 2000)
        }
    }

    @Test func noHorizontalScrollingInANarrowWindow() async throws {
        // A regressed office with a name no line break can split, where a table would widen the page.
        var input = Fixture.danang
        let index = try #require(input.sites.firstIndex { $0.code == Fixture.regressedOffice.code })
        input.sites[index].name = String(repeating: "Xã_Bến_Hiên_", count: 8)
        try await withReport(WeeklySummary(input)) { directory in
            // Headless Chromium will not make a window narrower than 500 px, so the mail is laid out in a 360 px
            // frame of a page whose script writes the frame's widths into the DOM that --dump-dom prints.
            let html = try String(contentsOf: directory.appendingPathComponent("report.html"), encoding: .utf8)
            let page = directory.appendingPathComponent("frame.html")
            try Data("""
                <!DOCTYPE html><html><body style="margin:0">
                <iframe id="mail" style="width:360px;height:4000px;border:0" srcdoc="\(HTMLText.escape(html))"></iframe>
                <script>
                document.getElementById("mail").addEventListener("load", function () {
                  var d = this.contentDocument.documentElement;
                  document.body.setAttribute("data-widths", d.clientWidth + " " + d.scrollWidth);
                });
                </script></body></html>
                """.utf8).write(to: page)
            let run = try await chromium(["--dump-dom", "--window-size=600,2000"], page: page, in: directory)
            let match = try #require(run.stdout.firstMatch(of: /data-widths="(\d+) (\d+)"/), "no widths in: \(run.stderr)")
            #expect(Int(match.1) == 360, "the frame's width")
            #expect(Int(match.2)! <= 360, "the laid-out width")
        }
    }

    @Test(arguments: [false, true]) func printedPageShowsTheFigures(imagesDisabled: Bool) async throws {
        try await withReport { directory in
            let pdf = directory.appendingPathComponent("report.pdf")
            let run = try await chromium(
                ["--print-to-pdf=\(pdf.path)", "--no-pdf-header-footer", "--window-size=375,2000"]
                    + (imagesDisabled ? ["--blink-settings=imagesEnabled=false"] : []),
                page: directory.appendingPathComponent("report.html"), in: directory)
            #expect(FileManager.default.fileExists(atPath: pdf.path), "no PDF: \(run.stderr)")
            let text = try await TestSupport.run(["pdftotext", "-enc", "UTF-8", pdf.path, "-"])
                .precomposedStringWithCanonicalMapping
            #expect(text.contains("81/93"))
            #expect(text.contains("+3 so với tuần trước"))
            #expect(text.contains(Fixture.regressedOffice.name))
            #expect(text.contains("Điện Bàn"))
            // Without images the alt text stands in for the chart, with its numbers; with them, the chart shows.
            #expect(text.contains("Biểu đồ: số điểm sẵn sàng cuối mỗi tuần") == imagesDisabled)
        }
    }
}
