import Foundation

/// Checks `condition` every 20 ms, sleeping in between without holding a thread, until it holds or `timeout`
/// seconds pass. An error thrown by `condition` counts as "not yet" (the last one is in the timeout's message),
/// unless `stopWhen` says it is final: then it is thrown at once.
public func waitUntil(
    timeout: Double, _ what: String,
    isolation: isolated (any Actor)? = #isolation,
    _ condition: () async throws -> Bool,
    stopWhen isFinal: (any Error) -> Bool = { _ in false }
) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
    var lastError: (any Error)?
    while ContinuousClock.now < deadline {
        do {
            if try await condition() { return }
        } catch {
            if isFinal(error) { throw error }
            lastError = error
        }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TimedOut(what: what, seconds: timeout, lastError: lastError.map { "\($0)" })
}

public struct TimedOut: Error, CustomStringConvertible {
    public let what: String
    public let seconds: Double
    public var lastError: String? = nil
    public var description: String {
        "timed out after \(seconds) s waiting for \(what)" + (lastError.map { " (last error: \($0))" } ?? "")
    }
}

/// A fresh temporary directory for the duration of `body`, removed afterwards.
public func withTemporaryDirectory<T>(
    isolation: isolated (any Actor)? = #isolation, _ body: (URL) async throws -> T
) async throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sansang-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(url)
}

/// A port on 127.0.0.1 that was free a moment ago (the kernel picks it; we release it for the daemon).
public func freeLoopbackPort(udp: Bool) throws -> UInt16 {
    let fd = socket(AF_INET, udp ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw CommandFailure(argv: ["socket"], status: errno, output: "") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
        }
    }
    guard bound else { throw CommandFailure(argv: ["bind"], status: errno, output: "") }
    return UInt16(bigEndian: address.sin_port)
}

/// One UDP datagram to 127.0.0.1:`port` from a plain socket (for malformed packets no tool would send).
public func sendDatagram(port: UInt16, _ bytes: [UInt8]) throws {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    guard fd >= 0 else { throw CommandFailure(argv: ["socket"], status: errno, output: "") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = port.bigEndian
    let sent = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard sent == bytes.count else { throw CommandFailure(argv: ["sendto"], status: errno, output: "") }
}

/// Runs `body`, then `cleanup` whether `body` returned or threw: a `defer` whose clean-up can be awaited
/// (stopping a daemon and waiting until it has exited).
public func withCleanup<T>(
    isolation: isolated (any Actor)? = #isolation,
    _ body: () async throws -> T, cleanup: () async -> Void
) async throws -> T {
    do {
        let result = try await body()
        await cleanup()
        return result
    } catch {
        await cleanup()
        throw error
    }
}
