import Foundation
import ReadinessModel

/// A finished test as text, laid out much like iperf3's client output: one line per interval and direction,
/// then the totals per stream and summed, as the sender and the receiver counted them.
public enum ThroughputText {
    public static func render(_ result: ThroughputResult) -> String {
        var lines: [String] = []
        let modeText = switch result.mode {
        case .forward: "upload (client → server)"
        case .reverse: "download (server → client, reverse)"
        case .bidirectional: "both directions (bidirectional)"
        }
        lines.append("Connected to \(result.server): \(modeText), \(result.parallel) stream(s), \(bytes(UInt64(result.blockLength))) blocks")
        let directions = [ThroughputDirection.upload, .download].filter {
            $0 == .upload ? result.upload != nil : result.download != nil
        }
        let header = "[ ID]     Interval           Transfer     Bitrate         Retr"
        lines.append(header)
        for sample in result.intervals {
            for direction in directions {
                let transferred = direction == .upload ? sample.uploadBytes : sample.downloadBytes
                let retr = direction == .upload ? sample.retransmits.map { String($0) } ?? "" : ""
                lines.append(row(tag(direction, result.mode), sample.start, sample.end, transferred, retr)
                             + (sample.omitted ? "  (omitted)" : ""))
            }
        }
        lines.append(String(repeating: "- ", count: 36))
        lines.append(header)
        let start = Double(result.omitSeconds)
        let end = start + result.seconds
        for stream in result.streams where result.parallel > 1 {
            let retr = stream.retransmits.map { String($0) } ?? ""
            let ours = stream.direction == .upload ? "sender" : "receiver"
            lines.append(row(String(format: "[%3d]", stream.id), start, end, stream.bytes, retr) + "  \(ours)")
        }
        for direction in directions {
            guard let summary = direction == .upload ? result.upload : result.download else { continue }
            let label = tag(direction, result.mode)
            lines.append(row(label, start, end, summary.senderBytes, summary.retransmits.map { String($0) } ?? "") + "  sender")
            lines.append(row(label, start, end, summary.receiverBytes, "") + "  receiver")
        }
        lines.append(String(format: "CPU: local %.1f%% (user %.1f%%, system %.1f%%), remote %.1f%%", result.localCPU.total,
                            result.localCPU.user, result.localCPU.system, result.remoteCPU.total))
        if result.busyRetries > 0 { lines.append("The server was busy: \(result.busyRetries) retries before the test ran.") }
        return lines.joined(separator: "\n")
    }

    static func tag(_ direction: ThroughputDirection, _ mode: ThroughputMode) -> String {
        mode == .bidirectional ? (direction == .upload ? "[SUM][TX-C]" : "[SUM][RX-C]") : "[SUM]"
    }

    static func row(_ label: String, _ start: Double, _ end: Double, _ transferred: UInt64, _ retr: String) -> String {
        let seconds = end - start
        let rate = seconds > 0 ? Double(transferred) * 8 / seconds : 0
        return label.padding(toLength: 11, withPad: " ", startingAt: 0)
            + String(format: " %6.2f-%-6.2f sec ", start, end)
            + bytes(transferred).leftPadded(12) + "  " + bitrate(rate).leftPadded(15) + "  " + retr.leftPadded(4)
    }

    /// Binary units, as iperf3 prints transfers.
    public static func bytes(_ value: UInt64) -> String {
        let v = Double(value)
        if v >= 1_073_741_824 { return String(format: "%.2f GBytes", v / Double(1 << 30)) }
        if v >= 1_048_576 { return String(format: "%.1f MBytes", v / Double(1 << 20)) }
        if v >= 1024 { return String(format: "%.1f KBytes", v / Double(1 << 10)) }
        return "\(value) Bytes"
    }

    /// Decimal units, as iperf3 prints rates.
    public static func bitrate(_ bitsPerSecond: Double) -> String {
        if bitsPerSecond >= 1e9 { return String(format: "%.2f Gbits/sec", bitsPerSecond / 1e9) }
        if bitsPerSecond >= 1e6 { return String(format: "%.1f Mbits/sec", bitsPerSecond / 1e6) }
        if bitsPerSecond >= 1e3 { return String(format: "%.1f Kbits/sec", bitsPerSecond / 1e3) }
        return String(format: "%.0f bits/sec", bitsPerSecond)
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
