import CTCPInfo
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One connected TCP socket with blocking I/O, used only from the dedicated threads of one test.
final class TCPSocket: @unchecked Sendable {
    let fd: Int32
    private var closed = false

    private init(fd: Int32) { self.fd = fd }

    deinit { close() }

    func close() {
        guard !closed else { return }
        closed = true
        _ = Glibc.close(fd)
    }

    /// Connects to `host:port` within `timeout` seconds; `prepare` runs on the socket before connecting (buffer
    /// sizes and MSS must be set before the handshake).
    static func connect(host: String, port: UInt16, timeout: Double, prepare: (Int32) -> Void = { _ in }) throws(ThroughputError) -> TCPSocket {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw ThroughputError(.unreachable, "cannot resolve \(host)", cause: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(list) }
        var lastError = ThroughputError(.unreachable, "no address for \(host)")
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { continue }
            let socket = TCPSocket(fd: fd)
            prepare(fd)
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) != 0 {
                guard errno == EINPROGRESS else {
                    lastError = connectError(errno, host: host, port: port)
                    continue
                }
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let ready = poll(&pfd, 1, Int32(max(timeout, 0) * 1000))
                if ready == 0 {
                    lastError = ThroughputError(.timeout, "no answer from \(host):\(port) within \(format(timeout)) s",
                                                cause: "connect")
                    continue
                }
                var soError: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
                if soError != 0 {
                    lastError = connectError(soError, host: host, port: port)
                    continue
                }
            }
            _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
            return socket
        }
        throw lastError
    }

    private static func connectError(_ code: Int32, host: String, port: UInt16) -> ThroughputError {
        let text = String(cString: strerror(code))
        switch code {
        case ECONNREFUSED: return ThroughputError(.refused, "nothing listens on \(host):\(port)", cause: text)
        case ETIMEDOUT: return ThroughputError(.timeout, "no answer from \(host):\(port)", cause: text)
        default: return ThroughputError(.unreachable, "cannot reach \(host):\(port)", cause: text)
        }
    }

    func setInt(_ level: Int32, _ option: Int32, _ value: Int32) {
        var value = value
        setsockopt(fd, level, option, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Blocking calls return EAGAIN after `seconds`, so that loops can look at their stop flag.
    func setIOTimeout(_ seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends all of `bytes`, or throws (`phase` names what was being sent, for the message).
    func sendAll(_ bytes: [UInt8], deadline: Double, phase: String) throws(ThroughputError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, bytes.count - offset, sansang_msg_nosignal()) }
            if n > 0 { offset += n; continue }
            if n < 0, errno == EINTR { continue }
            if n < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                if monotonicNow() < deadline { continue }
                throw ThroughputError(.timeout, "the server took no data while \(phase)")
            }
            throw ThroughputError(.resetMidTest, "connection lost while \(phase)", cause: String(cString: strerror(errno)))
        }
    }

    /// Waits until the socket is readable or `deadline` passes; true when readable (or closed/errored).
    func waitReadable(until deadline: Double) -> Bool {
        while true {
            let remaining = deadline - monotonicNow()
            if remaining <= 0 { return false }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(min(remaining, 3600) * 1000) + 1)
            if ready > 0 { return true }
            if ready < 0, errno != EINTR { return true }
        }
    }

    /// Reads exactly `count` bytes before `deadline`. Errors: timeout; the peer closing or resetting (`closedCode`).
    func receiveExact(_ count: Int, deadline: Double, phase: String, closedCode: ThroughputError.Code) throws(ThroughputError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            guard waitReadable(until: deadline) else {
                throw ThroughputError(.timeout, "the server did not answer while \(phase)")
            }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + offset, count - offset, 0) }
            if n > 0 { offset += n; continue }
            if n < 0, errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK { continue }
            let cause = n == 0 ? "closed by the server" : String(cString: strerror(errno))
            throw ThroughputError(closedCode, "connection lost while \(phase)", cause: cause)
        }
        return buffer
    }

    /// Bytes we have sent that the peer has not acknowledged yet (SIOCOUTQ), or nil when the kernel does not say.
    func unacknowledgedBytes() -> Int? {
        var bytes: Int32 = 0
        return sansang_unacknowledged_bytes(fd, &bytes) == 0 ? Int(bytes) : nil
    }

    /// TCP_INFO's total retransmissions, or nil when the kernel does not say.
    func totalRetransmits() -> UInt32? {
        var total: UInt32 = 0
        return sansang_tcp_total_retransmits(fd, &total) == 0 ? total : nil
    }
}

/// Seconds on the monotonic clock.
func monotonicNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func format(_ seconds: Double) -> String {
    seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.1f", seconds)
}
