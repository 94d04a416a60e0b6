import Foundation
import Testing
import TestSupport
import WeeklyReport

/// The e-mail's HTML as a real browser engine lays it out: headless Chromium at a phone's width, printed to PDF
/// and read back with pdftotext, with and without images. Serialized: two Chromiums at once starve two cores.
@Suite(.serialized) struct ChromiumTests {
    static let summary = WeeklySummary(Fixture.danang)

    /// Writes report.html (chart as chart.png beside it) into a fresh directory and runs `body` on it.
    func withReport<T>(_ body: (URL) throws -> T) async throws -> T {
        try await withTemporaryDirectory { directory in
            try WeeklyChart.png(Self.summary).write(to: directory.appendingPathComponent("chart.png"))
            let html = WeeklyReportRenderer.html(Self.summary, chartSource: "chart.png")
            try Data(html.utf8).write(to: directory.appendingPathComponent("report.html"))
            return try body(directory)
        }
    }

    /// Runs headless Chromium on `page` with its own profile and HOME, for at most two minutes.
    func chromium(_ arguments: [String], page: URL, in directory: URL) throws -> ProgramRun {
        let home = directory.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        return try runCapturing(
            ["timeout", "120", "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=\(home.path)/profile"] + arguments + [page.absoluteString],
            environment: ["HOME": home.path])
    }

    @Test func screenshotAtAPhonesWidth() async throws {
        try await withReport { directory in
            let shot = directory.appendingPathComponent("shot.png")
            let run = try chromium(["--screenshot=\(shot.path)", "--window-size=375,2000"],
                                   page: directory.appendingPathComponent("report.html"), in: directory)
            let png = try #require(FileManager.default.contents(atPath: shot.path), "no screenshot: \(run.stderr)")
            #expect(PNGHeader(png)?.width == 375)
            #expect(PNGHeader(png)?.height == 2000)
        }
    }

    @Test func noHorizontalScrollingInANarrowWindow() async throws {
        try await withReport { directory in
            // The same page with a script that writes the laid-out width into the DOM that --dump-dom prints.
            let page = directory.appendingPathComponent("measured.html")
            let html = try String(contentsOf: directory.appendingPathComponent("report.html"), encoding: .utf8)
                .replacingOccurrences(of: "</body>", with: """
                    <script>document.body.setAttribute("data-scroll-width", String(document.documentElement.scrollWidth));</script></body>
                    """)
            try Data(html.utf8).write(to: page)
            let run = try chromium(["--dump-dom", "--window-size=360,2000"], page: page, in: directory)
            let match = try #require(run.stdout.firstMatch(of: /data-scroll-width="(\d+)"/), "no width in: \(run.stderr)")
            #expect(Int(match.1)! <= 360)
        }
    }

    @Test(arguments: [false, true]) func printedPageShowsTheFigures(imagesDisabled: Bool) async throws {
        try await withReport { directory in
            let pdf = directory.appendingPathComponent("report.pdf")
            let run = try chromium(
                ["--print-to-pdf=\(pdf.path)", "--no-pdf-header-footer", "--window-size=375,2000"]
                    + (imagesDisabled ? ["--blink-settings=imagesEnabled=false"] : []),
                page: directory.appendingPathComponent("report.html"), in: directory)
            #expect(FileManager.default.fileExists(atPath: pdf.path), "no PDF: \(run.stderr)")
            let text = try TestSupport.run(["pdftotext", "-enc", "UTF-8", pdf.path, "-"])
                .precomposedStringWithCanonicalMapping
            #expect(text.contains("81/93"))
            #expect(text.contains("+3 so với tuần trước"))
            #expect(text.contains(Fixture.regressedOffice.name))
            #expect(text.contains("Điện Bàn"))
            if imagesDisabled {
                // Without images the alt text stands in for the chart, with its numbers.
                #expect(text.contains("Biểu đồ"))
            }
        }
    }
}
