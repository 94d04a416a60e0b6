import Foundation
import SystemSupport

/// `icmp`: N echo requests, one after another: loss, min/avg/max/mdev RTT. An unprivileged ICMP socket
/// (SOCK_DGRAM, IPPROTO_ICMP) where net.ipv4.ping_group_range allows it, a raw socket (CAP_NET_RAW) otherwise.
/// IPv4 only for now.
public struct ICMPProbe: ServiceProbe {
    public init() {}

    public func run(_ target: ServiceTarget, deadline: ContinuousClock.Instant) async -> ServiceOutcome {
        var m = Measurement(target)
        let addresses: [ResolvedAddress]
        switch await resolve(target.check.host, port: 0, family: AF_INET) {
        case .success(let found): addresses = found
        case .failure(let error): return await m.failResolving(error, name: target.check.host, deadline: deadline)
        }
        m.phase("resolve")
        let options = target.options
        let address = addresses[0]
        let pinged = await BlockingPool.shared.run { Self.ping(address, count: max(1, options.count), interval: options.interval,
                                                               wait: options.replyWait, deadline: deadline) }
        m.phase("echo")
        m.facts["address"] = address.text
        switch pinged {
        case .failure(let failure):
            m.facts["error"] = failure.message
            return m.finish(reason: Self.reason(failure))
        case .success(let (socketKind, sent, rtts)):
            m.facts["socket"] = socketKind
            m.facts["sent"] = String(sent)
            m.facts["received"] = String(rtts.count)
            let loss = sent == 0 ? 100 : Double(sent - rtts.count) * 100 / Double(sent)
            m.lossPercent = loss.rounded(toPlaces: 1)
            if !rtts.isEmpty {
                let avg = rtts.reduce(0, +) / Double(rtts.count)
                let mdev = (rtts.map { ($0 - avg) * ($0 - avg) }.reduce(0, +) / Double(rtts.count)).squareRoot()
                for (key, value) in [("rtt_min_ms", rtts.min()!), ("rtt_avg_ms", avg), ("rtt_max_ms", rtts.max()!), ("rtt_mdev_ms", mdev)] {
                    m.facts[key] = value.fixed(3)
                }
            }
            if rtts.isEmpty { return m.finish(reason: "icmp_no_reply") }
            if loss > target.check.thresholds.maxLossPercent { return m.finish(reason: "icmp_loss") }
            return m.finish(reason: nil)
        }
    }

    /// The reason for a socket or send error, from its errno: a socket the host will not give is
    /// `icmp_socket_denied`; a send the routing table refuses says how (`ip route` types `unreachable`,
    /// `prohibit`, `blackhole`, or no route at all).
    static func reason(_ failure: ICMPFailure) -> String {
        switch (failure.stage, failure.errno) {
        case (.socket, EPERM), (.socket, EACCES): "icmp_socket_denied"
        case (.socket, _): "icmp_socket_failed"
        case (.send, ENETUNREACH): "network_unreachable"
        case (.send, EHOSTUNREACH), (.send, EHOSTDOWN): "host_unreachable"
        case (.send, EACCES), (.send, EPERM): "icmp_prohibited"
        case (.send, EINVAL): "icmp_blackholed"
        case (.send, _): "icmp_send_failed"
        }
    }

    /// Blocking; runs on a dedicated thread. Returns the socket kind used, requests sent, RTTs in ms of replies.
    static func ping(_ address: ResolvedAddress, count: Int, interval: Duration, wait: Duration,
                     deadline: ContinuousClock.Instant) -> Result<(String, Int, [Double]), ICMPFailure> {
        var kind = "unprivileged"
        var fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(IPPROTO_ICMP))
        if fd < 0 {
            kind = "raw"
            fd = socket(AF_INET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(IPPROTO_ICMP))
        }
        guard fd >= 0 else { return .failure(ICMPFailure(stage: .socket, errno: errno)) }
        defer { close(fd) }
        let identifier = UInt16.random(in: 1...UInt16.max)
        var rtts: [Double] = []
        var sent = 0
        var buffer = [UInt8](repeating: 0, count: 2048)
        for sequence in 0..<count {
            if ContinuousClock.now >= deadline { break }
            if sequence > 0 { Thread.sleep(forTimeInterval: Double(interval.inMilliseconds) / 1000) }
            var packet: [UInt8] = [8, 0, 0, 0, UInt8(identifier >> 8), UInt8(identifier & 0xff),
                                   UInt8(sequence >> 8), UInt8(sequence & 0xff)] + Array("sansang-icmp-probe".utf8)
            let sum = checksum(packet)
            packet[2] = UInt8(sum >> 8)
            packet[3] = UInt8(sum & 0xff)
            let start = ContinuousClock.now
            guard address.withSockaddr({ sendto(fd, packet, packet.count, 0, $0, $1) }) == packet.count else {
                return .failure(ICMPFailure(stage: .send, errno: errno))
            }
            sent += 1
            let replyDeadline = min(deadline, start + wait)
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            waiting: while true {
                let ready = poll(&descriptor, 1, millisecondsLeft(replyDeadline))
                if ready < 0, errno == EINTR { continue }
                guard ready > 0 else { break }
                let length = recv(fd, &buffer, buffer.count, 0)
                guard length > 0 else { continue }
                var icmp = buffer[0..<length]
                if kind == "raw" {
                    let headerLength = Int(buffer[0] & 0x0f) * 4
                    guard length > headerLength + 8 else { continue }
                    icmp = buffer[headerLength..<length]
                }
                let base = icmp.startIndex
                guard icmp.count >= 8, icmp[base] == 0 else { continue }  // echo reply
                let replySequence = Int(icmp[base + 6]) << 8 | Int(icmp[base + 7])
                // The kernel rewrites the identifier of unprivileged sockets: match on it only for raw ones.
                let replyIdentifier = UInt16(icmp[base + 4]) << 8 | UInt16(icmp[base + 5])
                if replySequence == sequence, kind != "raw" || replyIdentifier == identifier {
                    rtts.append((ContinuousClock.now - start).inMilliseconds)
                    break waiting
                }
            }
        }
        return .success((kind, sent, rtts))
    }

    static func checksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i + 1 < bytes.count { sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1]); i += 2 }
        if i < bytes.count { sum += UInt32(bytes[i]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }
}

/// An ICMP probe's socket error: where (opening the socket, sending) and the errno.
struct ICMPFailure: Error, Sendable {
    enum Stage: Sendable { case socket, send }
    var stage: Stage
    var errno: Int32
    var message: String { "\(stage == .socket ? "socket" : "sendto"): \(String(cString: strerror(errno)))" }
}
