import Foundation
import Prometheus
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Watches raw connections for the server's close (EOF or reset) from a thread of its own, so that when a close is
/// seen does not depend on how busy Swift's cooperative pool is: each close is stamped as `poll` reports it.
final class ConnectionWatch: Sendable {
    struct Closed: Sendable {
        let fd: Int32
        let opened: ContinuousClock.Instant
        let closed: ContinuousClock.Instant
    }

    private let watched = Mutex<[(fd: Int32, opened: ContinuousClock.Instant)]>([])

    /// Watches `fd` (made non-blocking), opened at `opened`.
    func add(_ fd: Int32, opened: ContinuousClock.Instant) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        watched.withLock { $0.append((fd, opened)) }
    }

    /// Starts watching now, on a thread of its own, for at most `limit`: the connections the server closed, each with
    /// the instant its close was seen. Start it right after opening the connections: a task would start it only when
    /// the cooperative pool gets to it, and every close seen then would be stamped late.
    func start(within limit: Duration) -> OwnThread<[Closed]> {
        let entries = watched.withLock { $0 }
        return OwnThread {
            let deadline = ContinuousClock.now + limit
            var pending = entries
            var closed: [Closed] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !pending.isEmpty && ContinuousClock.now < deadline {
                var fds = pending.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
                _ = poll(&fds, nfds_t(fds.count), 50)
                let now = ContinuousClock.now
                var ended = Set<Int32>()
                for entry in fds where entry.revents != 0 {
                    // Whatever the server sent before closing is read and dropped; EOF or a reset is the close.
                    while true {
                        let count = buffer.withUnsafeMutableBytes { recv(entry.fd, $0.baseAddress, $0.count, 0) }
                        if count > 0 { continue }
                        if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) { ended.insert(entry.fd) }
                        break
                    }
                }
                for entry in pending where ended.contains(entry.fd) {
                    closed.append(Closed(fd: entry.fd, opened: entry.opened, closed: now))
                }
                pending.removeAll { ended.contains($0.fd) }
            }
            return closed
        }
    }

    struct Trickle: Sendable {
        /// Bytes of the body sent before the server closed (or the time ran out).
        var sent = 0
        var received: [UInt8] = []
        /// When the server's close was seen; nil: still open at the end.
        var closed: ContinuousClock.Instant?
    }

    /// Sends one space (JSON whitespace) every `interval` on `fd` until the server closes it or `limit` passes,
    /// reading what it answers; starts now, on a thread of its own, so that the pace holds on a busy machine.
    static func trickle(_ fd: Int32, every interval: Duration, for limit: Duration) -> OwnThread<Trickle> {
        OwnThread {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            let deadline = ContinuousClock.now + limit
            let milliseconds = Int32(interval.components.seconds * 1000 + interval.components.attoseconds / 1_000_000_000_000_000)
            var result = Trickle()
            var buffer = [UInt8](repeating: 0, count: 4096)
            var sending = true
            while ContinuousClock.now < deadline {
                if sending {
                    var space: UInt8 = 0x20
                    if send(fd, &space, 1, Int32(MSG_NOSIGNAL)) == 1 { result.sent += 1 } else { sending = false }
                }
                var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                _ = poll(&entry, 1, milliseconds)
                guard entry.revents != 0 else { continue }
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count > 0 {
                    result.received += buffer[0..<count]
                } else if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                    result.closed = ContinuousClock.now
                    break
                }
            }
            return result
        }
    }
}

/// Work started on a new thread (never one of the cooperative pool) at once; its result awaited later.
final class OwnThread<T: Sendable>: Sendable {
    private let state = Mutex<(result: T?, waiter: CheckedContinuation<T, Never>?)>((nil, nil))

    init(_ body: @escaping @Sendable () -> T) {
        Thread.detachNewThread { [self] in
            let value = body()
            let waiter = state.withLock { state in
                state.result = value
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: value)
        }
    }

    var value: T {
        get async {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> T? in
                    if let result = state.result { return result }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }
}

/// 61 connections that never finish their request, opened at once: the first announces a 1 MB body and sends 10
/// bytes of it, the 60 others stop in the middle of a header.
enum SlowConnections {
    static func open(port: Int, token: String, watch: ConnectionWatch? = nil) throws -> [Int32] {
        var slow: [Int32] = []
        do {
            let opened = ContinuousClock.now
            let announced = try RawConnection.open(port: port)
            slow.append(announced)
            RawConnection.send(announced, "POST /api/v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                + "Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{\"reports\"")
            watch?.add(announced, opened: opened)
            for _ in 0..<60 {
                let opened = ContinuousClock.now
                let fd = try RawConnection.open(port: port)
                slow.append(fd)
                RawConnection.send(fd, "POST /api/v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                watch?.add(fd, opened: opened)
            }
            return slow
        } catch {
            slow.forEach { close($0) }
            throw error
        }
    }
}

extension PrometheusCollectorRegistry {
    /// The value of one sample in the registry's text exposition (`name{labels} value`), nil when it has none.
    func value(of name: String, _ labels: [String: String] = [:]) -> Double? {
        let wanted = labels.isEmpty ? name : name + "{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }
            .joined(separator: ",") + "}"
        for line in emitToString().split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else { continue }
            let sample = line[..<space]
            // Labels in the exposition may come in another order: compare them as sets.
            if sample == wanted || Self.sameSample(String(sample), wanted) { return Double(line[line.index(after: space)...]) }
        }
        return nil
    }

    private static func sameSample(_ a: String, _ b: String) -> Bool {
        func parts(_ text: String) -> (String, Set<Substring>) {
            guard let brace = text.firstIndex(of: "{") else { return (text, []) }
            return (String(text[..<brace]), Set(text[text.index(after: brace)...].dropLast().split(separator: ",")))
        }
        return parts(a) == parts(b)
    }
}
