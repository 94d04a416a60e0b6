import Foundation
import Presentation
import ReadinessModel
import SansangAPI

/// Charts drawn on the server as inline SVG: no script, no second request, colours by attribute (the CSP forbids
/// inline styles). Every chart has a title and a text description for screen readers.
enum Charts {
    static let width = 640.0
    static let height = 180.0
    static let left = 44.0
    static let bottom = 24.0
    static let palette = ["#1f5fa8", "#b3541e", "#2d7d46", "#7b3fa0", "#8a6d00", "#0f7c8c"]

    /// The ready share over time, 0–100 %.
    static func share(_ points: [TrendPoint], format: Formatting, title: String) -> String {
        guard let first = points.first, let last = points.last else { return "" }
        let description: String = points.map { "\(format.time($0.at)): \(format.percent($0.share))" }.joined(separator: "; ")
        let span = max(last.at.timeIntervalSince(first.at), 1)
        let coordinates = points.map { point -> String in
            let x = left + (width - left - 8) * point.at.timeIntervalSince(first.at) / span
            let y = 8 + (height - bottom - 8) * (1 - point.share)
            return String(format: "%.1f,%.1f", x, y)
        }
        var svg: String = frame(title: title, description: description)
        svg += axes(yLabels: [(1, "100 %"), (0.5, "50 %"), (0, "0 %")],
                    xLabels: [(0, format.time(first.at)), (1, format.time(last.at))])
        svg += "<polyline fill=\"none\" stroke=\"#1f5fa8\" stroke-width=\"3\" points=\"\(coordinates.joined(separator: " "))\"/>"
        return svg + "</svg>"
    }

    /// A band per state over the period, from the site's transitions.
    static func states(_ transitions: [VerdictTransition], from: Date, to: Date, format: Formatting, title: String) -> String {
        let language = format.language
        let span = max(to.timeIntervalSince(from), 1)
        var segments: [(start: Date, end: Date, state: VerdictState)] = []
        var state: VerdictState?
        var start = from
        for transition in transitions.sorted(by: { $0.at < $1.at }) {
            if let state, transition.at > start { segments.append((start, min(transition.at, to), state)) }
            state = transition.to
            start = max(transition.at, from)
        }
        if let state, start < to { segments.append((start, to, state)) }
        let description: String = segments.isEmpty ? DashboardWording.text("noPoints", language)
            : segments.map { "\(format.time($0.start)) – \(format.time($0.end)): \(format.state($0.state))" }.joined(separator: "; ")
        var svg: String = "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) 60\" role=\"img\" aria-label=\"\(HTMLText.escape(title))\">"
        svg += "<title>\(HTMLText.escape(title))</title><desc>\(HTMLText.escape(description))</desc>"
        svg += "<rect x=\"\(Int(left))\" y=\"8\" width=\"\(Int(width - left - 8))\" height=\"24\" fill=\"#e8e8e8\"/>"
        for segment in segments {
            let x = left + (width - left - 8) * segment.start.timeIntervalSince(from) / span
            let w = max((width - left - 8) * segment.end.timeIntervalSince(segment.start) / span, 1)
            svg += String(format: "<rect x=\"%.1f\" y=\"8\" width=\"%.1f\" height=\"24\" ", x, w) + "fill=\"\(colour(segment.state))\"/>"
        }
        svg += "<text x=\"\(Int(left))\" y=\"50\" font-size=\"12\" fill=\"#333\">\(HTMLText.escape(format.time(from)))</text>"
        svg += "<text x=\"\(Int(width - 8))\" y=\"50\" font-size=\"12\" fill=\"#333\" text-anchor=\"end\">\(HTMLText.escape(format.time(to)))</text>"
        return svg + "</svg>"
    }

    /// One line per series, a shared y axis from 0.
    static func lines(_ points: [SiteHistoryBody.Point], from: Date, to: Date, format: Formatting, title: String, unit: String) -> String {
        let series = Dictionary(grouping: points, by: \.series)
        guard !series.isEmpty else { return "" }
        let span = max(to.timeIntervalSince(from), 1)
        let top = max(points.map(\.value).max() ?? 1, 1) * 1.1
        let names = series.keys.sorted()
        let description: String = names.map { name -> String in
            let values = series[name]!.map(\.value)
            return "\(name): min \(format.number(values.min() ?? 0)), max \(format.number(values.max() ?? 0)) \(unit)"
        }.joined(separator: "; ")
        var svg: String = frame(title: title, description: description)
        svg += axes(yLabels: [(1, format.number(top, digits: 0)), (0.5, format.number(top / 2, digits: 0)), (0, "0")],
                    xLabels: [(0, format.time(from)), (1, format.time(to))])
        for (index, name) in names.enumerated() {
            let coordinates = series[name]!.sorted { $0.at < $1.at }.map { point -> String in
                let x = left + (width - left - 8) * point.at.timeIntervalSince(from) / span
                let y = 8 + (height - bottom - 8) * (1 - point.value / top)
                return String(format: "%.1f,%.1f", x, y)
            }
            svg += "<polyline fill=\"none\" stroke=\"\(palette[index % palette.count])\" stroke-width=\"2\" points=\"\(coordinates.joined(separator: " "))\"/>"
        }
        // The legend, under the chart.
        var legend: String = "<ul class=\"legend\">"
        for (index, name) in names.enumerated() {
            legend += "<li><svg width=\"14\" height=\"14\" aria-hidden=\"true\"><rect width=\"14\" height=\"14\" fill=\"\(palette[index % palette.count])\"/></svg> \(HTMLText.escape(name))</li>"
        }
        return svg + "</svg>" + legend + "</ul>"
    }

    /// `lines`, nil when there is no point (the page says so in words).
    static func optionalLines(_ points: [SiteHistoryBody.Point], from: Date, to: Date, format: Formatting, title: String,
                              unit: String) -> String? {
        points.isEmpty ? nil : lines(points, from: from, to: to, format: format, title: title, unit: unit)
    }

    private static func frame(title: String, description: String) -> String {
        "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(HTMLText.escape(title))\">"
            + "<title>\(HTMLText.escape(title))</title><desc>\(HTMLText.escape(description))</desc>"
    }

    private static func axes(yLabels: [(Double, String)], xLabels: [(Double, String)]) -> String {
        var svg: String = ""
        for (fraction, label) in yLabels {
            let y = 8 + (height - bottom - 8) * (1 - fraction)
            svg += String(format: "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#ccc\"/>", left, y, width - 8, y)
            svg += String(format: "<text x=\"%.0f\" y=\"%.1f\" font-size=\"12\" fill=\"#333\" text-anchor=\"end\">", left - 4, y + 4)
                + HTMLText.escape(label) + "</text>"
        }
        for (fraction, label) in xLabels {
            let x = left + (width - left - 8) * fraction
            let anchor = fraction == 0 ? "start" : "end"
            svg += String(format: "<text x=\"%.1f\" y=\"%.0f\" font-size=\"12\" fill=\"#333\" ", x, height - 6) + "text-anchor=\"\(anchor)\">"
                + HTMLText.escape(label) + "</text>"
        }
        return svg
    }

    static func colour(_ state: VerdictState) -> String {
        switch state {
        case .ready: "#2d7d46"
        case .degraded: "#d9a400"
        case .notReady: "#c0392b"
        case .unknown: "#8c8c8c"
        }
    }
}
