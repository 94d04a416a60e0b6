import CCairo
import Foundation
import Presentation
import WeeklyReport

/// A failure to draw or encode the chart.
public struct WeeklyChartError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// A width or scale the chart cannot be drawn at.
        case invalidSize
        /// cairo could not make the image or the drawing context (out of memory, too large).
        case drawingFailed
        /// cairo could not encode the PNG.
        case encodingFailed
    }

    /// cairo's status: its `cairo_status_t` number and text.
    public struct Cause: Sendable, Hashable {
        public let status: UInt32
        public let text: String
    }

    public let code: Code
    public let message: String
    public let cause: Cause?

    public init(_ code: Code, _ message: String, cause: Cause? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { cause.map { "\(message) (cairo \($0.status): \($0.text))" } ?? message }
}

/// The report's chart as a PNG drawn with cairo: ready/total at the end of each week of the trend (bars, the total
/// behind the ready count), then ready/total by former district (horizontal bars). Text in DejaVu Sans.
public enum WeeklyChart {
    /// The most districts the second panel shows; beyond that it shows those with the most offices not ready
    /// (in the usual order) and says how many more the table lists.
    public static let maximumDistricts = 30

    /// A PNG `width` points wide, drawn at `scale` pixels per point (2 for sharp text on high-density screens).
    public static func png(_ summary: WeeklySummary, language: Language = .vi, width: Int = 600, scale: Int = 2) throws -> Data {
        guard (320...2000).contains(width), (1...4).contains(scale) else {
            throw WeeklyChartError(.invalidSize, "a chart is 320 to 2000 points wide at scale 1 to 4, not \(width) at \(scale)")
        }
        let layout = ChartLayout(summary, width: Double(width))
        let surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(width * scale), Int32(layout.height.rounded(.up)) * Int32(scale))
        defer { cairo_surface_destroy(surface) }
        try check(cairo_surface_status(surface), .drawingFailed, "cannot make a \(width * scale)-pixel-wide image")
        let context = cairo_create(surface)
        defer { cairo_destroy(context) }
        try check(cairo_status(context), .drawingFailed, "cannot draw on the chart's image")
        cairo_scale(context, Double(scale), Double(scale))
        ChartPainter(pen: Pen(context: context), layout: layout, words: ReportWords(language)).paint(summary)
        try check(cairo_status(context), .drawingFailed, "drawing the chart failed")
        cairo_surface_flush(surface)
        return try encodePNG(surface)
    }

    private static func encodePNG(_ surface: OpaquePointer?) throws -> Data {
        final class Sink { var data = Data() }
        let sink = Sink()
        let status = withExtendedLifetime(sink) {
            cairo_surface_write_to_png_stream(surface, { closure, bytes, length in
                guard let closure, let bytes else { return CAIRO_STATUS_WRITE_ERROR }
                Unmanaged<Sink>.fromOpaque(closure).takeUnretainedValue().data.append(bytes, count: Int(length))
                return CAIRO_STATUS_SUCCESS
            }, Unmanaged.passUnretained(sink).toOpaque())
        }
        try check(status, .encodingFailed, "cannot encode the chart as PNG")
        return sink.data
    }

    private static func check(_ status: cairo_status_t, _ code: WeeklyChartError.Code, _ message: String) throws {
        guard status != CAIRO_STATUS_SUCCESS else { return }
        throw WeeklyChartError(code, message, cause: .init(status: status.rawValue, text: String(cString: cairo_status_to_string(status))))
    }
}

/// Where the chart's parts go, in points: pure, so that tests can look inside each panel.
struct ChartLayout {
    struct Rect {
        var x, y, width, height: Double
        var maxX: Double { x + width }
        var maxY: Double { y + height }
    }

    static let margin = 16.0
    static let rowHeight = 20.0

    let width: Double
    /// The bars of the weekly trend (without the week labels below them).
    let trendPlot: Rect
    /// The rows of the district bars (labels, bars and figures).
    let districtRows: Rect
    let districts: [DistrictFigure]
    /// Districts left out of the panel (listed in the table).
    let hiddenDistricts: Int
    let height: Double

    init(_ summary: WeeklySummary, width: Double) {
        self.width = width
        let inner = width - 2 * Self.margin
        trendPlot = Rect(x: Self.margin + 36, y: 56, width: inner - 36, height: 170)
        if summary.districts.count > WeeklyChart.maximumDistricts {
            let worst = summary.districts.indices
                .sorted { (summary.districts[$1].notReady, $0) < (summary.districts[$0].notReady, $1) }
                .prefix(WeeklyChart.maximumDistricts)
            districts = worst.sorted().map { summary.districts[$0] }
        } else {
            districts = summary.districts
        }
        hiddenDistricts = summary.districts.count - districts.count
        let rows = Double(max(districts.count, 1) + (hiddenDistricts > 0 ? 1 : 0))
        districtRows = Rect(x: Self.margin, y: trendPlot.maxY + 76, width: inner, height: rows * Self.rowHeight)
        height = districtRows.maxY + Self.margin
    }
}

extension DistrictFigure {
    var notReady: Int { total - ready }
}

/// Draws the two panels on a context someone else owns.
private struct ChartPainter {
    let pen: Pen
    let layout: ChartLayout
    let words: ReportWords

    static let ready = Colour(0x16, 0x80, 0x3d)
    static let total = Colour(0xd1, 0xd5, 0xdb)
    static let ink = Colour(0x1f, 0x29, 0x37)
    static let faint = Colour(0x6b, 0x72, 0x80)
    static let grid = Colour(0xe5, 0xe7, 0xeb)

    func paint(_ summary: WeeklySummary) {
        pen.fill(ChartLayout.Rect(x: 0, y: 0, width: layout.width, height: layout.height), Colour(0xff, 0xff, 0xff))
        let m = ChartLayout.margin
        pen.text(words.trendTitle, x: m, y: 22, size: 15, bold: true, colour: Self.ink)
        legend(y: 40)
        trend(summary.trend)
        pen.text("\(words.districtsTitle) (\(words.legendReady.lowercased())/\(words.legendTotal.lowercased()))",
                 x: m, y: layout.districtRows.y - 14, size: 15, bold: true, colour: Self.ink)
        districts()
    }

    private func legend(y: Double) {
        var x = ChartLayout.margin
        for (label, colour) in [(words.legendReady, Self.ready), (words.legendTotal, Self.total)] {
            pen.fill(ChartLayout.Rect(x: x, y: y - 10, width: 12, height: 12), colour)
            pen.text(label, x: x + 17, y: y, size: 12, colour: Self.ink)
            x += 17 + pen.width(of: label, size: 12) + 18
        }
    }

    private func trend(_ weeks: [WeekFigure]) {
        let plot = layout.trendPlot
        guard !weeks.isEmpty else {
            pen.text(words.noDataYet, x: plot.x + plot.width / 2, y: plot.y + plot.height / 2, size: 13, colour: Self.faint, align: .centre)
            return
        }
        let step = Self.gridStep(for: weeks.map(\.total).max() ?? 0)
        let top = step * max(1, ((weeks.map(\.total).max() ?? 0) + step - 1) / step)
        func y(_ value: Int) -> Double { plot.maxY - plot.height * Double(value) / Double(top) }
        for value in stride(from: 0, through: top, by: step) {
            pen.fill(ChartLayout.Rect(x: plot.x, y: y(value) - 0.5, width: plot.width, height: 1), Self.grid)
            pen.text("\(value)", x: plot.x - 6, y: y(value) + 4, size: 10, colour: Self.faint, align: .right)
        }
        let slot = plot.width / Double(weeks.count)
        let bar = min(32, slot * 0.62)
        var year: Int?
        for (index, figure) in weeks.enumerated() {
            let centre = plot.x + slot * (Double(index) + 0.5)
            pen.fill(ChartLayout.Rect(x: centre - bar / 2, y: y(figure.total), width: bar, height: plot.maxY - y(figure.total)), Self.total)
            pen.fill(ChartLayout.Rect(x: centre - bar / 2, y: y(figure.ready), width: bar, height: plot.maxY - y(figure.ready)), Self.ready)
            pen.text("\(figure.ready)", x: centre, y: y(figure.total) - 4, size: 10, bold: index == weeks.count - 1,
                     colour: Self.ink, align: .centre)
            pen.text(String(format: "W%02d", figure.week.week), x: centre, y: plot.maxY + 14, size: 10,
                     bold: index == weeks.count - 1, colour: Self.ink, align: .centre)
            if year != figure.week.year {
                pen.text(String(figure.week.year), x: centre, y: plot.maxY + 27, size: 10, colour: Self.faint, align: .centre)
                year = figure.week.year
            }
        }
    }

    private func districts() {
        let area = layout.districtRows
        guard !layout.districts.isEmpty else {
            pen.text(words.noDataYet, x: area.x, y: area.y + 14, size: 13, colour: Self.faint)
            return
        }
        let labelWidth = min(area.width * 0.38, layout.districts.map { pen.width(of: $0.district, size: 12) }.max() ?? 0)
        let figures = layout.districts.map { "\($0.ready)/\($0.total)" }
        let figureWidth = (figures.map { pen.width(of: $0, size: 12, bold: true) }.max() ?? 0) + 8
        let barX = area.x + labelWidth + 8
        let barWidth = area.maxX - figureWidth - barX
        let largest = Double(max(1, layout.districts.map(\.total).max() ?? 1))
        for (index, district) in layout.districts.enumerated() {
            let top = area.y + ChartLayout.rowHeight * Double(index)
            let baseline = top + 14
            pen.text(pen.fitting(district.district, width: labelWidth, size: 12), x: area.x, y: baseline, size: 12, colour: Self.ink)
            pen.fill(ChartLayout.Rect(x: barX, y: top + 4, width: barWidth * Double(district.total) / largest, height: 12), Self.total)
            pen.fill(ChartLayout.Rect(x: barX, y: top + 4, width: barWidth * Double(district.ready) / largest, height: 12), Self.ready)
            pen.text(figures[index], x: area.maxX, y: baseline, size: 12, bold: true, colour: Self.ink, align: .right)
        }
        if layout.hiddenDistricts > 0 {
            let more = words.language.pick("+\(layout.hiddenDistricts) quận/huyện cũ khác: xem bảng",
                                           "+\(layout.hiddenDistricts) more former districts: see the table")
            pen.text(more, x: area.x, y: area.y + ChartLayout.rowHeight * Double(layout.districts.count) + 14, size: 11, colour: Self.faint)
        }
    }

    /// A whole step of 1, 2, 2.5 or 5 × 10ⁿ giving at most four grid intervals up to `maximum`.
    static func gridStep(for maximum: Int) -> Int {
        var magnitude = 1
        while true {
            let steps = magnitude >= 10 ? [magnitude, 2 * magnitude, 5 * magnitude / 2, 5 * magnitude] : [magnitude, 2 * magnitude, 5 * magnitude]
            if let step = steps.first(where: { $0 * 4 >= maximum }) { return step }
            magnitude *= 10
        }
    }
}

struct Colour {
    let red, green, blue: Double

    init(_ red: Int, _ green: Int, _ blue: Int) {
        self.red = Double(red) / 255
        self.green = Double(green) / 255
        self.blue = Double(blue) / 255
    }
}

/// Drawing calls on a cairo context owned by `WeeklyChart.png`. Text goes through cairo's own text API with
/// DejaVu Sans (fontconfig), which has every precomposed Vietnamese letter; text is drawn in NFC.
private struct Pen {
    enum Alignment { case left, centre, right }

    let context: OpaquePointer?

    func fill(_ rect: ChartLayout.Rect, _ colour: Colour) {
        cairo_set_source_rgb(context, colour.red, colour.green, colour.blue)
        cairo_rectangle(context, rect.x, rect.y, rect.width, rect.height)
        cairo_fill(context)
    }

    /// Draws `text` with its baseline at `y`, starting, centred or ending at `x`.
    func text(_ text: String, x: Double, y: Double, size: Double, bold: Bool = false, colour: Colour, align: Alignment = .left) {
        let text = text.precomposedStringWithCanonicalMapping
        font(size: size, bold: bold)
        let advance = align == .left ? 0 : width(of: text, size: size, bold: bold)
        cairo_set_source_rgb(context, colour.red, colour.green, colour.blue)
        cairo_move_to(context, align == .left ? x : align == .centre ? x - advance / 2 : x - advance, y)
        cairo_show_text(context, text)
    }

    func width(of text: String, size: Double, bold: Bool = false) -> Double {
        font(size: size, bold: bold)
        var extents = cairo_text_extents_t()
        cairo_text_extents(context, text.precomposedStringWithCanonicalMapping, &extents)
        return extents.x_advance
    }

    /// `text`, cut and ended with "…" if it is wider than `width`.
    func fitting(_ text: String, width limit: Double, size: Double) -> String {
        guard width(of: text, size: size) > limit else { return text }
        var cut = text
        while !cut.isEmpty, width(of: cut + "…", size: size) > limit { cut.removeLast() }
        return cut + "…"
    }

    private func font(size: Double, bold: Bool) {
        cairo_select_font_face(context, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(context, size)
    }
}
