import Foundation
import PacketCapture
import ReadinessModel

/// Counts frames on the uplink into one-second buckets per direction. Pure: packets and times are inputs.
/// A frame sent by the uplink's own MAC is tx; anything else the interface sees (to it, broadcast, multicast) is rx.
public struct TrafficAccumulator: Sendable {
    public let ownMAC: [UInt8]
    public let start: Date
    private var rxBytes: [Int: UInt64] = [:], txBytes: [Int: UInt64] = [:]
    private var rxPackets: [Int: UInt64] = [:], txPackets: [Int: UInt64] = [:]

    public init(ownMAC: [UInt8], start: Date) {
        self.ownMAC = ownMAC
        self.start = start
    }

    /// Adds one Ethernet frame: its first 12 bytes (destination, source) and its length on the wire.
    public mutating func add(frame: some Collection<UInt8>, originalLength: Int, at time: Date) {
        guard frame.count >= 12 else { return }
        let bucket = Int(time.timeIntervalSince(start).rounded(.down))
        guard bucket >= 0 else { return }
        let isTx = frame.dropFirst(6).prefix(6).elementsEqual(ownMAC)
        let bytes = UInt64(max(originalLength, 0))
        if isTx {
            txBytes[bucket, default: 0] += bytes
            txPackets[bucket, default: 0] += 1
        } else {
            rxBytes[bucket, default: 0] += bytes
            rxPackets[bucket, default: 0] += 1
        }
    }

    /// The summary over `seconds` from the start (buckets past the window are left out).
    public func summary(seconds: Int, interface: String, statistics: CaptureStatistics? = nil) -> TrafficSummary {
        func direction(_ bytes: [Int: UInt64], _ packets: [Int: UInt64]) -> TrafficSummary.Direction {
            let window = 0..<max(seconds, 1)
            let totalBytes = bytes.filter { window.contains($0.key) }.values.reduce(0, +)
            let totalPackets = packets.filter { window.contains($0.key) }.values.reduce(0, +)
            let peakBytes = bytes.filter { window.contains($0.key) }.values.max() ?? 0
            let peakPackets = packets.filter { window.contains($0.key) }.values.max() ?? 0
            let span = Double(window.count)
            return TrafficSummary.Direction(
                bytes: totalBytes, packets: totalPackets,
                meanBitsPerSecond: Double(totalBytes) * 8 / span, peakBitsPerSecond: Double(peakBytes) * 8,
                meanPacketsPerSecond: Double(totalPackets) / span, peakPacketsPerSecond: Double(peakPackets))
        }
        return TrafficSummary(
            interface: interface, windowSeconds: max(seconds, 1),
            rx: direction(rxBytes, rxPackets), tx: direction(txBytes, txPackets),
            droppedByKernel: statistics?.droppedByKernel, droppedByInterface: statistics?.droppedByInterface,
            droppedByMeter: statistics?.droppedByDeliveryBuffer)
    }
}

/// Passive traffic on the uplink: libpcap with a 64-byte snapshot (only lengths and MACs matter), no immediate
/// mode and a 100 ms buffer timeout, so an idle link costs one wake-up per 100 ms.
public struct TrafficMeter: Sendable {
    public struct Configuration: Sendable {
        public var window: Duration
        public var snapshotLength: Int
        public var bufferTimeout: Duration

        public init(window: Duration = .seconds(5), snapshotLength: Int = 64, bufferTimeout: Duration = .milliseconds(100)) {
            self.window = window
            self.snapshotLength = snapshotLength
            self.bufferTimeout = bufferTimeout
        }
    }

    public let configuration: Configuration

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Measures `interface` for the window. The uplink's MAC decides the direction.
    public func measure(interface: String, nic: NICProbe = NICProbe()) async throws(TrafficMeterError) -> TrafficSummary {
        let mac: [UInt8]
        do {
            guard let parsed = try nic.evidence(interface: interface).macAddress.flatMap(HostIdentity.parseMAC) else {
                throw TrafficMeterError(code: .noMACAddress, message: "\(interface) has no Ethernet MAC address", cause: nil)
            }
            mac = parsed
        } catch let error as TrafficMeterError {
            throw error
        } catch {
            throw TrafficMeterError(code: .noSuchInterface, message: "\(error)", cause: error)
        }
        let seconds = Int((configuration.window / .seconds(1)).rounded(.up))
        let capture = CaptureConfiguration(
            interface: interface, snapshotLength: configuration.snapshotLength, immediateMode: false,
            bufferTimeout: configuration.bufferTimeout, deliveryBufferSize: 8192)
        let window = configuration.window
        do {
            return try await withLiveCapture(capture) { capture in
                let start = Date()
                let deadline = ContinuousClock.now + window
                // Iterating a capture ends when the consuming task is cancelled: a timer cancels the counting
                // task at the deadline, so an idle link (no packets at all) ends on time too.
                let counted = try await withThrowingTaskGroup(of: TrafficAccumulator?.self) { group in
                    group.addTask {
                        var accumulator = TrafficAccumulator(ownMAC: mac, start: start)
                        for try await packet in capture {
                            let time = Date(timeIntervalSince1970: TimeInterval(packet.timestamp.seconds)
                                            + TimeInterval(packet.timestamp.microseconds) / 1_000_000)
                            accumulator.add(frame: packet.bytes, originalLength: packet.originalLength, at: time)
                            if ContinuousClock.now >= deadline { break }
                        }
                        return accumulator
                    }
                    group.addTask {
                        try? await Task.sleep(until: deadline)
                        return nil
                    }
                    var result = TrafficAccumulator(ownMAC: mac, start: start)
                    while let finished = try await group.next() {
                        group.cancelAll()
                        if let finished { result = finished }
                    }
                    return result
                }
                return counted.summary(seconds: seconds, interface: interface, statistics: capture.statistics)
            }
        } catch let error as CaptureError {
            throw TrafficMeterError(code: .capture, message: "traffic capture on \(interface): \(error)", cause: error)
        } catch {
            throw TrafficMeterError(code: .capture, message: "traffic capture on \(interface): \(error)", cause: error)
        }
    }
}

public struct TrafficMeterError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case noSuchInterface = "no_such_interface"
        case noMACAddress = "no_mac_address"
        case capture
    }

    public let code: Code
    public let message: String
    public let cause: (any Error & Sendable)?

    public var description: String { message }
}
