import Foundation
import ReadinessModel

/// Which way the data flows, as iperf3 names it.
public enum ThroughputMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// Client → server (upload).
    case forward
    /// Server → client (download).
    case reverse
    /// Both at once.
    case bidirectional
}

/// One test's parameters.
public struct ThroughputConfiguration: Sendable, Hashable {
    public var host: String
    public var port: UInt16
    public var mode: ThroughputMode
    /// 1–16 parallel streams (per direction).
    public var parallel: Int
    /// Measured seconds, after the omitted ones.
    public var durationSeconds: Int
    /// Seconds at the start that are not counted (TCP slow start).
    public var omitSeconds: Int
    /// Bytes per write (iperf3's `-l`), default 128 KiB.
    public var blockLength: Int
    /// Socket buffer size in bytes (iperf3's `-w`); nil leaves the kernel's autotuning.
    public var window: Int?
    public var mss: Int?
    public var noDelay: Bool
    /// Bits per second per stream, as iperf3's `-b`; nil for unlimited.
    public var rateLimitBitsPerSecond: UInt64?
    /// Seconds per interval sample.
    public var intervalSeconds: Double
    /// How long to wait for any answer from the server (connect, each control message).
    public var timeoutSeconds: Double
    /// How long to keep retrying a busy server (ACCESS_DENIED), with backoff and jitter; 0 for no retry.
    public var busyRetrySeconds: Double

    public init(host: String, port: UInt16 = 5201, mode: ThroughputMode = .forward, parallel: Int = 1,
                durationSeconds: Int = 10, omitSeconds: Int = 0, blockLength: Int = 128 * 1024, window: Int? = nil,
                mss: Int? = nil, noDelay: Bool = false, rateLimitBitsPerSecond: UInt64? = nil,
                intervalSeconds: Double = 1, timeoutSeconds: Double = 10, busyRetrySeconds: Double = 0) {
        self.host = host
        self.port = port
        self.mode = mode
        self.parallel = parallel
        self.durationSeconds = durationSeconds
        self.omitSeconds = omitSeconds
        self.blockLength = blockLength
        self.window = window
        self.mss = mss
        self.noDelay = noDelay
        self.rateLimitBitsPerSecond = rateLimitBitsPerSecond
        self.intervalSeconds = intervalSeconds
        self.timeoutSeconds = timeoutSeconds
        self.busyRetrySeconds = busyRetrySeconds
    }

    /// "host", "host:port", "[v6]:port".
    public static func parseServer(_ text: String, defaultPort: UInt16 = 5201) -> (host: String, port: UInt16)? {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.isEmpty { return (host, defaultPort) }
            guard rest.hasPrefix(":"), let port = UInt16(rest.dropFirst()), port > 0 else { return nil }
            return (host, port)
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 2 {
            guard !parts[0].isEmpty, let port = UInt16(parts[1]), port > 0 else { return nil }
            return (String(parts[0]), port)
        }
        return text.isEmpty ? nil : (text, defaultPort)
    }

    func validate() throws(ThroughputError) {
        func check(_ ok: Bool, _ message: String) throws(ThroughputError) {
            if !ok { throw ThroughputError(.invalidConfiguration, message) }
        }
        try check((1...16).contains(parallel), "parallel streams must be 1–16, not \(parallel)")
        try check((1...3600).contains(durationSeconds), "duration must be 1–3600 s, not \(durationSeconds)")
        try check((0...60).contains(omitSeconds), "omit must be 0–60 s, not \(omitSeconds)")
        try check((1...(16 << 20)).contains(blockLength), "block length must be 1 B–16 MiB, not \(blockLength)")
        try check(intervalSeconds >= 0.1, "interval must be at least 0.1 s")
        try check(timeoutSeconds > 0, "timeout must be positive")
        if let window { try check(window > 0, "window must be positive") }
        if let mss { try check((88...65535).contains(mss), "MSS must be 88–65535") }
        if let rate = rateLimitBitsPerSecond { try check(rate > 0, "rate limit must be positive") }
    }
}

/// What one stream carried.
public struct StreamResult: Sendable, Hashable, Codable {
    public var id: Int
    public var direction: ThroughputDirection
    /// Bytes we sent (upload) or received (download), omitted seconds excluded.
    public var bytes: UInt64
    /// Retransmitted segments, from TCP_INFO when we send or from the server's results when it sends.
    public var retransmits: Int64?
    /// The server's count for this stream: what it received (upload) or sent (download).
    public var serverBytes: UInt64?
}

/// One interval sample.
public struct IntervalSample: Sendable, Hashable, Codable {
    public var start: Double
    public var end: Double
    /// True for the omitted seconds at the start (not in the totals).
    public var omitted: Bool
    /// Bytes per stream id during the interval.
    public var bytesByStream: [Int: UInt64]
    public var uploadBytes: UInt64
    public var downloadBytes: UInt64
    /// Retransmits during the interval on the streams we send on.
    public var retransmits: Int64?

    public func bitsPerSecond(_ direction: ThroughputDirection) -> Double {
        let bytes = direction == .upload ? uploadBytes : downloadBytes
        return end > start ? Double(bytes) * 8 / (end - start) : 0
    }
}

/// Totals for one direction, from both ends, as iperf3 prints "sender" and "receiver".
public struct DirectionSummary: Sendable, Hashable, Codable {
    public var seconds: Double
    public var senderBytes: UInt64
    public var receiverBytes: UInt64
    public var retransmits: Int64?

    public var senderBitsPerSecond: Double { seconds > 0 ? Double(senderBytes) * 8 / seconds : 0 }
    public var receiverBitsPerSecond: Double { seconds > 0 ? Double(receiverBytes) * 8 / seconds : 0 }
}

public struct CPUUsage: Sendable, Hashable, Codable {
    public var total: Double
    public var user: Double
    public var system: Double
}

/// A finished test.
public struct ThroughputResult: Sendable, Hashable, Codable {
    public var server: String
    public var startedAt: Date
    public var mode: ThroughputMode
    public var parallel: Int
    public var blockLength: Int
    public var omitSeconds: Int
    /// Measured seconds (omitted ones excluded).
    public var seconds: Double
    public var streams: [StreamResult]
    public var intervals: [IntervalSample]
    public var upload: DirectionSummary?
    public var download: DirectionSummary?
    /// Our process's CPU use over the test, percent of one core.
    public var localCPU: CPUUsage
    /// The server's, as it reports it.
    public var remoteCPU: CPUUsage
    /// How many times the server answered busy before the test ran.
    public var busyRetries: Int

    /// The rate that counts for the link verdict: what the receiving end got, in Mbit/s per direction.
    public func measurement(measuredAt: Date? = nil) -> ThroughputMeasurement {
        var mbps: [ThroughputDirection: Double] = [:]
        if let upload { mbps[.upload] = upload.receiverBitsPerSecond / 1e6 }
        if let download { mbps[.download] = download.receiverBitsPerSecond / 1e6 }
        return ThroughputMeasurement(server: server, measuredAt: measuredAt ?? startedAt, mbps: mbps)
    }
}

extension ThroughputError {
    /// A failed test as it goes into a report.
    public func measurement(server: String, at date: Date) -> ThroughputMeasurement {
        ThroughputMeasurement(server: server, measuredAt: date, mbps: [:], error: "\(code.rawValue): \(message)")
    }
}
