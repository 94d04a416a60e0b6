import Foundation
import LLDP
import PacketCapture
import ReadinessModel
import Synchronization
import SystemSupport

/// Captures LLDP frames (`ether proto 0x88cc`) on the uplink and keeps the neighbour table current. Long-running
/// in the agent daemon (`run()` until cancelled); `LLDPProbe` uses it once for `check`.
public final class LLDPListener: Sendable {
    public struct Configuration: Sendable {
        public var interface: String
        /// LLDPDUs are at most 1500 bytes; 2048 keeps the kernel ring's slots small.
        public var snapshotLength: Int
        /// The kernel ring: 128 KiB holds some 60 frames of 2 KiB, where a switch sends one LLDPDU every 30 s.
        /// libpcap's default (2 MiB) is mapped into the process, resident for as long as the capture runs.
        public var kernelBufferSize: Int

        public init(interface: String, snapshotLength: Int = 2048, kernelBufferSize: Int = 128 << 10) {
            self.interface = interface
            self.snapshotLength = snapshotLength
            self.kernelBufferSize = kernelBufferSize
        }
    }

    public let configuration: Configuration
    private let table = Mutex(LLDPNeighbourTable())
    /// Frames that were captured with ethertype 0x88cc but did not decode, with the last error.
    private let rejected = Mutex((count: 0, last: String?.none))

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// The neighbours valid at `now`, newest first.
    public func neighbours(at now: Date = Date()) -> [LLDPNeighbour] {
        table.withLock { $0.neighbours(at: now) }
    }

    /// Malformed LLDP frames seen so far, and the last decode error.
    public var malformedFrames: (count: Int, lastError: String?) { rejected.withLock { ($0.count, $0.last) } }

    /// Captures until the task is cancelled, or until `until` returns true after a frame was recorded.
    /// Throws the capture's error (no such device, permission denied, …).
    public func run(until done: @Sendable (LLDPNeighbour) -> Bool = { _ in false }) async throws(CaptureError) {
        let capture = CaptureConfiguration(
            interface: configuration.interface, filter: "ether proto 0x88cc",
            snapshotLength: configuration.snapshotLength, kernelBufferSize: configuration.kernelBufferSize, deliveryBufferSize: 64)
        do {
            try await withLiveCapture(capture) { capture in
                for try await packet in capture {
                    let arrival = Date(timeIntervalSince1970: TimeInterval(packet.timestamp.seconds)
                                       + TimeInterval(packet.timestamp.microseconds) / 1_000_000)
                    do {
                        let pdu = try LLDPDU(frame: packet.bytes)
                        table.withLock {
                            $0.removeExpired(at: arrival)
                            $0.insert(pdu, at: arrival)
                        }
                        if done(LLDPNeighbour(pdu: pdu, arrival: arrival)) { return }
                    } catch {
                        rejected.withLock { $0 = ($0.count + 1, "\(error)") }
                    }
                }
            }
        } catch let error as CaptureError {
            throw error
        } catch {
            throw CaptureError(.captureFailed, "LLDP capture on \(configuration.interface): \(error)")
        }
    }
}

/// One-shot LLDP evidence for `check` and `probe lldp`: listens on the uplink for up to `wait` for a neighbour
/// announcing itself. LLDP's default transmit interval is 30 s, so a short wait can honestly find nothing.
public struct LLDPProbe: SpeedEvidenceProbe {
    public struct Configuration: Sendable {
        /// How long to listen. Switches send every 30 s by default; a field check waits less and says so.
        public var wait: Duration

        public init(wait: Duration = .seconds(5)) {
            self.wait = wait
        }
    }

    public let configuration: Configuration
    public var source: SpeedSource { .lldp }

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// The first neighbour heard within the wait, or nil; throws when the capture cannot run.
    public func neighbour(interface: String) async throws(CaptureError) -> LLDPNeighbour? {
        let listener = LLDPListener(configuration: .init(interface: interface))
        let wait = configuration.wait
        let result: Result<Void, CaptureError> = await withTaskGroup(of: Result<Void, CaptureError>?.self) { group in
            group.addTask {
                do throws(CaptureError) {
                    try await listener.run(until: { _ in true })
                    return .success(())
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                try? await Task.sleep(for: wait)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .success(())
        }
        try result.get()
        return listener.neighbours().first
    }

    public func reading(interface: String) async -> SpeedReading {
        do {
            guard let neighbour = try await neighbour(interface: interface) else {
                return .unknown(.lldp, error: "no LLDP frame within \(Self.seconds(configuration.wait)) s on \(interface)")
            }
            return neighbour.reading
        } catch {
            return .unknown(.lldp, error: "\(error)")
        }
    }

    static func seconds(_ duration: Duration) -> String {
        let value = duration.inSeconds
        return value == value.rounded() ? String(Int(value)) : value.fixed(1)
    }
}
