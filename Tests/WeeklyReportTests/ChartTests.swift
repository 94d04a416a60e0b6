import CCairo
import Foundation
import ReadinessModel
import Testing
@testable import WeeklyReport
@testable import WeeklyReportChart

@Suite struct ChartTests {
    static let summary = WeeklySummary(Fixture.danang)

    @Test func isAPNGOfTheRequestedWidth() async throws {
        let png = try WeeklyChart.png(Self.summary, width: 600, scale: 2)
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let layout = ChartLayout(Self.summary, width: 600)
        #expect(PNGHeader(png)?.width == 1200)
        #expect(PNGHeader(png)?.height == 2 * Int(layout.height.rounded(.up)))
        #expect(PNGHeader(try WeeklyChart.png(Self.summary, language: .en, width: 600, scale: 1))?.width == 600)
        #expect(PNGHeader(try WeeklyChart.png(Self.summary, width: 400, scale: 1))?.width == 400)
    }

    @Test func drawsInBothPanels() async throws {
        let png = try WeeklyChart.png(Self.summary, width: 600, scale: 2)
        let image = try #require(DecodedPNG(png))
        let layout = ChartLayout(Self.summary, width: 600)
        let ready: UInt32 = 0xFF16_803D  // the ready bars' green, opaque
        for (name, panel) in [("trend", layout.trendPlot), ("districts", layout.districtRows)] {
            let pixels = image.pixels(in: panel, scale: 2)
            let drawn = pixels.filter { $0 != 0xFFFF_FFFF }.count
            #expect(drawn > pixels.count / 10, "\(name): \(drawn) of \(pixels.count) pixels drawn")
            #expect(pixels.contains(ready), "\(name) has ready bars")
        }
        // The background outside the panels (the right margin) is untouched.
        let margin = ChartLayout.Rect(x: 600 - ChartLayout.margin + 2, y: layout.trendPlot.y, width: ChartLayout.margin - 4, height: 100)
        #expect(image.pixels(in: margin, scale: 2).allSatisfy { $0 == 0xFFFF_FFFF })
    }

    @Test func nationwideFleetKeepsTheChartReadable() async throws {
        // 3,321 offices in 700 former districts: the district panel keeps the 30 with most offices not ready.
        let sites = (0..<3_321).map { Fixture.site(String(40_000 + $0), "Xã \($0)", "Huyện \($0 % 700)") }
        let now = Dictionary(uniqueKeysWithValues: sites.enumerated().map { ($1.code, Fixture.verdict($0 % 3 == 0 ? .notReady : .ready)) })
        let summary = WeeklySummary(Fixture.input(sites: sites, now: now, before: [:]))
        let layout = ChartLayout(summary, width: 600)
        #expect(layout.districts.count == WeeklyChart.maximumDistricts)
        #expect(layout.hiddenDistricts == 670)
        let worstShown = layout.districts.map(\.notReady).min() ?? 0
        let bestHidden = summary.districts.filter { d in !layout.districts.contains { $0.district == d.district } }.map(\.notReady).max() ?? 0
        #expect(worstShown >= bestHidden)
        #expect(PNGHeader(try WeeklyChart.png(summary))?.height ?? .max < 2 * 1_000)
    }

    @Test func emptyReportStillDraws() async throws {
        let summary = WeeklySummary(Fixture.input(sites: [], now: [:], before: [:]))
        #expect(PNGHeader(try WeeklyChart.png(summary))?.width == 1200)
    }

    @Test func refusesSizesItCannotDraw() {
        #expect(throws: WeeklyChartError.self) { try WeeklyChart.png(Self.summary, width: 10) }
        let error = #expect(throws: WeeklyChartError.self) { try WeeklyChart.png(Self.summary, width: 600, scale: 9) }
        #expect(error?.code == .invalidSize)
    }
}

/// Width and height from a PNG's IHDR chunk.
struct PNGHeader {
    let width: Int
    let height: Int

    init?(_ png: Data) {
        let bytes = Array(png.prefix(24))
        guard bytes.count == 24, Array(bytes[12..<16]) == Array("IHDR".utf8) else { return nil }
        func int(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        width = int(16)
        height = int(20)
    }
}

/// A PNG decoded by cairo into 32-bit ARGB pixels.
struct DecodedPNG {
    let width: Int
    let height: Int
    let argb: [UInt32]

    init?(_ png: Data) {
        final class Source {
            let bytes: [UInt8]
            var offset = 0
            init(_ bytes: [UInt8]) { self.bytes = bytes }
        }
        let source = Source(Array(png))
        let surface = withExtendedLifetime(source) {
            cairo_image_surface_create_from_png_stream({ closure, buffer, length in
                let source = Unmanaged<Source>.fromOpaque(closure!).takeUnretainedValue()
                guard source.offset + Int(length) <= source.bytes.count, let buffer else { return CAIRO_STATUS_READ_ERROR }
                source.bytes.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress! + source.offset, count: Int(length)) }
                source.offset += Int(length)
                return CAIRO_STATUS_SUCCESS
            }, Unmanaged.passUnretained(source).toOpaque())
        }
        defer { cairo_surface_destroy(surface) }
        guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS, let data = cairo_image_surface_get_data(surface) else { return nil }
        width = Int(cairo_image_surface_get_width(surface))
        height = Int(cairo_image_surface_get_height(surface))
        let stride = Int(cairo_image_surface_get_stride(surface))
        var argb: [UInt32] = []
        argb.reserveCapacity(width * height)
        for y in 0..<height {
            let row = UnsafeRawPointer(data + y * stride).assumingMemoryBound(to: UInt32.self)
            argb.append(contentsOf: UnsafeBufferPointer(start: row, count: width))
        }
        self.argb = argb
    }

    /// The pixels inside a rectangle given in points.
    func pixels(in rect: ChartLayout.Rect, scale: Double) -> [UInt32] {
        let x0 = max(0, Int(rect.x * scale)), x1 = min(width, Int(rect.maxX * scale))
        let y0 = max(0, Int(rect.y * scale)), y1 = min(height, Int(rect.maxY * scale))
        return (y0..<y1).flatMap { y in argb[(y * width + x0)..<(y * width + x1)] }
    }
}
