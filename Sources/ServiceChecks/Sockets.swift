import Foundation
import SystemSupport

/// An IPv4 or IPv6 socket address, copied out of getaddrinfo's result.
struct ResolvedAddress: Sendable, Hashable {
    var storage: [UInt8]
    var family: Int32

    var text: String {
        storage.withUnsafeBytes { raw in
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let base = raw.baseAddress!.assumingMemoryBound(to: sockaddr.self)
            guard getnameinfo(base, socklen_t(storage.count), &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else { return "?" }
            return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        storage.withUnsafeBytes { body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(storage.count)) }
    }
}

enum ResolveError: Error, Sendable {
    /// The name does not exist (EAI_NONAME / NXDOMAIN).
    case noSuchName
    /// The resolver could not answer now (EAI_AGAIN: timeout or SERVFAIL upstream).
    case temporaryFailure
    case other(String)

    var reason: String {
        switch self {
        case .noSuchName: "nxdomain"
        case .temporaryFailure: "dns_timeout"
        case .other: "resolve_failed"
        }
    }
}

/// getaddrinfo, on a dedicated thread (it blocks, and cannot be cancelled).
func resolve(_ host: String, port: Int, udp: Bool = false, family: Int32 = AF_UNSPEC) async -> Result<[ResolvedAddress], ResolveError> {
    await BlockingPool.shared.run {
        var hints = addrinfo()
        hints.ai_family = family
        hints.ai_socktype = udp ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let list else {
            switch status {
            case EAI_NONAME, -5 /* EAI_NODATA */: return .failure(.noSuchName)
            case EAI_AGAIN: return .failure(.temporaryFailure)
            default: return .failure(.other(String(cString: gai_strerror(status))))
            }
        }
        defer { freeaddrinfo(list) }
        var addresses: [ResolvedAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = list
        while let entry = cursor {
            if let address = entry.pointee.ai_addr {
                let bytes = UnsafeRawBufferPointer(start: address, count: Int(entry.pointee.ai_addrlen))
                let candidate = ResolvedAddress(storage: Array(bytes), family: entry.pointee.ai_family)
                if !addresses.contains(candidate) { addresses.append(candidate) }
            }
            cursor = entry.pointee.ai_next
        }
        return addresses.isEmpty ? .failure(.noSuchName) : .success(addresses)
    }
}

/// Milliseconds left until `deadline`, at least 0.
func millisecondsLeft(_ deadline: ContinuousClock.Instant) -> Int32 {
    Int32(max(0, min(Double(Int32.max), (deadline - .now).inMilliseconds)))
}

/// The reason for a failed TCP connect, from its errno (or nil for a timeout).
func connectReason(errno code: Int32?) -> String {
    switch code {
    case nil: "connect_timeout"
    case ECONNREFUSED: "connect_refused"
    case EHOSTUNREACH, EHOSTDOWN: "host_unreachable"
    case ENETUNREACH: "network_unreachable"
    case ETIMEDOUT: "connect_timeout"
    default: "connect_failed"
    }
}

/// A non-blocking connect bounded by `deadline`, on a dedicated thread. Closes the socket; returns nil on success
/// or the errno (nil inside `.failure` meaning timeout).
func tcpConnect(_ address: ResolvedAddress, deadline: ContinuousClock.Instant) async -> Result<Void, ConnectFailure> {
    await BlockingPool.shared.run {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(ConnectFailure(errno: errno)) }
        defer { close(fd) }
        let started = address.withSockaddr { connect(fd, $0, $1) }
        if started == 0 { return .success(()) }
        guard errno == EINPROGRESS else { return .failure(ConnectFailure(errno: errno)) }
        var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        while true {
            let ready = poll(&descriptor, 1, millisecondsLeft(deadline))
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else { return .failure(ConnectFailure(errno: nil)) }
            break
        }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        return error == 0 ? .success(()) : .failure(ConnectFailure(errno: error))
    }
}

struct ConnectFailure: Error, Sendable {
    /// nil: no answer before the deadline.
    var errno: Int32?
    var reason: String { connectReason(errno: errno) }
    var message: String { errno.map { String(cString: strerror($0)) } ?? "no answer before the deadline" }
}

/// "host:port" or "[v6]:port" or "host" → (host, port).
func splitHostPort(_ text: String, defaultPort: Int) -> (String, Int) {
    if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
        let host = String(text[text.index(after: text.startIndex)..<close])
        let rest = text[text.index(after: close)...]
        return (host, rest.hasPrefix(":") ? Int(rest.dropFirst()) ?? defaultPort : defaultPort)
    }
    let parts = text.split(separator: ":")
    if parts.count == 2, let port = Int(parts[1]) { return (String(parts[0]), port) }
    return (text, defaultPort)
}

/// Whether `deadline` has come, give or take the millisecond rounding of the timer that closed the channel.
func reached(_ deadline: ContinuousClock.Instant) -> Bool {
    ContinuousClock.now + .milliseconds(20) >= deadline
}
