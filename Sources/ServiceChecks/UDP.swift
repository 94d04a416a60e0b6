import Foundation
import SystemSupport

/// Sends one datagram and waits for a reply accepted by `accept`, until `deadline`; on a dedicated thread.
/// Returns the reply and the send/receive instants, or nil on timeout; throws the errno text on socket errors.
func udpExchange(
    _ address: ResolvedAddress, _ request: [UInt8], deadline: ContinuousClock.Instant,
    prepare: @escaping @Sendable () -> [UInt8] = { [] }, accept: @escaping @Sendable ([UInt8]) -> Bool
) async -> Result<(reply: [UInt8], sent: Date, received: Date, rtt: Duration)?, UDPFailure> {
    await BlockingPool.shared.run {
        let fd = socket(address.family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(UDPFailure(errno: errno)) }
        defer { close(fd) }
        guard address.withSockaddr({ connect(fd, $0, $1) }) == 0 else { return .failure(UDPFailure(errno: errno)) }
        var packet = request
        let extra = prepare()
        if !extra.isEmpty { packet = extra }
        let sentAt = Date()
        let sentClock = ContinuousClock.now
        guard send(fd, packet, packet.count, 0) == packet.count else { return .failure(UDPFailure(errno: errno)) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let ready = poll(&descriptor, 1, millisecondsLeft(deadline))
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else { return .success(nil) }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0 {
                // ICMP port unreachable comes back as ECONNREFUSED on a connected UDP socket.
                if errno == EINTR { continue }
                return .failure(UDPFailure(errno: errno))
            }
            let reply = Array(buffer.prefix(count))
            if accept(reply) { return .success((reply, sentAt, Date(), ContinuousClock.now - sentClock)) }
        }
    }
}

struct UDPFailure: Error, Sendable {
    var errno: Int32
    var message: String { String(cString: strerror(errno)) }
}
