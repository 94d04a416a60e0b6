import Foundation
import ReadinessModel
import SystemSupport

/// `ntp`: one SNTP (RFC 4330) query: offset and delay of the host clock against the server, and its stratum.
/// The offset is also returned as a `ClockReading` for `Report.clock` (the evaluator's CLOCK_SKEW input).
public struct NTPProbe: ServiceProbe {
    public init() {}

    /// Seconds from 1900 (NTP era 0) to 1970.
    static let unixEpochOffset = 2_208_988_800.0

    public func run(_ target: ServiceTarget, deadline: ContinuousClock.Instant) async -> ServiceOutcome {
        var m = Measurement(target)
        let addresses: [ResolvedAddress]
        switch await resolve(target.check.host, port: target.port, udp: true) {
        case .success(let found): addresses = found
        case .failure(let error): return await m.failResolving(error, name: target.check.host, deadline: deadline)
        }
        m.phase("resolve")
        // Built on the sending thread so that the transmit timestamp is taken just before send().
        let exchanged = await udpExchange(addresses[0], [], deadline: deadline, prepare: {
            var packet = [UInt8](repeating: 0, count: 48)
            packet[0] = 0x23  // LI 0, version 4, mode 3 (client)
            packet.replaceSubrange(40..<48, with: Self.timestamp(Date()))
            return packet
        }) { reply in reply.count >= 48 && reply[0] & 0x07 == 4 }
        m.phase("exchange")
        switch exchanged {
        case .failure(let failure):
            m.facts["error"] = failure.message
            return m.finish(reason: failure.errno == ECONNREFUSED ? "ntp_refused" : "ntp_error")
        case .success(nil):
            return m.finish(reason: "ntp_timeout")
        case .success(let answer?):
            let r = answer.reply
            let stratum = Int(r[1])
            m.facts["stratum"] = String(stratum)
            if stratum == 0 {
                m.facts["kiss_code"] = String(decoding: r[12..<16], as: UTF8.self)
                return m.finish(reason: "ntp_kiss_of_death")
            }
            let t1 = Self.seconds(Array(r[24..<32]))  // our transmit time, echoed
            let t2 = Self.seconds(Array(r[32..<40]))
            let t3 = Self.seconds(Array(r[40..<48]))
            let t4 = answer.received.timeIntervalSince1970 + Self.unixEpochOffset
            let offset = ((t2 - t1) + (t3 - t4)) / 2 * 1000
            let delay = ((t4 - t1) - (t3 - t2)) * 1000
            m.facts["offset_ms"] = offset.fixed(3)
            m.facts["delay_ms"] = delay.fixed(3)
            m.facts["leap"] = String(r[0] >> 6)
            if r[0] >> 6 == 3 { return m.finish(reason: "ntp_unsynchronised") }
            m.clock = ClockReading(server: target.check.host, offsetMilliseconds: offset.rounded(toPlaces: 3))
            return m.finish(reason: nil)
        }
    }

    static func timestamp(_ date: Date) -> [UInt8] {
        let value = date.timeIntervalSince1970 + unixEpochOffset
        let seconds = UInt32(truncatingIfNeeded: UInt64(value))
        let fraction = UInt32(truncatingIfNeeded: UInt64((value - value.rounded(.down)) * 4_294_967_296))
        return [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: seconds >> $0) } + [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: fraction >> $0) }
    }

    static func seconds(_ b: [UInt8]) -> Double {
        let seconds = b[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let fraction = b[4..<8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return Double(seconds) + Double(fraction) / 4_294_967_296
    }
}
