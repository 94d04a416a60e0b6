import CollectorCore
import CollectorHTTP
import CollectorTestSupport
import Foundation
import ReadinessModel
import SansangAPI
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 14, item 19: slow and silent connections cannot hold the collector. Before: no idle timeout and no
/// connection limit; a request announcing 1 MB and sending 10 bytes was held forever.
///
/// These tests do not rely on their own timing against the server's timers: the full run keeps Swift's two
/// cooperative threads busy for seconds at a time, and the server accepts a connection only when its accept loop
/// (Hummingbird's, on that pool) takes it — until then it waits in the kernel's backlog with no idle clock
/// running. So they wait for what the server counted (its metrics, read in the process), watch for closes from a
/// thread of their own (`ConnectionWatch`), and measure the idle timeout from each connection's own start.
@Suite struct SlowlorisTests {
    /// 61 connections that never finish their request (one announcing 1 MB and sending 10 bytes), against a limit
    /// of 40: an agent arriving meanwhile gets a clear refusal (503 `unavailable`, Retry-After, counted), and once the
    /// slow connections are gone it gets its 202.
    @Test func connectionsBeyondTheLimitAreRefusedUntilSlotsFree() async throws {
        try await APIFixture.run(configure: { $0.maxConnections = 40; $0.idleTimeoutSeconds = 600 }) { fixture, client in
            let port = try #require(client.port)
            let token = try #require(fixture.siteTokens[ExampleSite.haiChau])
            // The test client's own connection, open from here on, is counted too.
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            let base = try #require(fixture.registry.value(of: "sansang_http_connections"))
            let slow = try SlowConnections.open(port: port, token: token)
            defer { slow.forEach { close($0) } }
            try await waitUntil(timeout: 30, "the collector counts the 61 slow connections") {
                fixture.registry.value(of: "sansang_http_connections") == base + 61
            }

            let body = try Self.batch(fixture)
            let refused = try await RawConnection.post(port: port, token: token, body: body)
            #expect(refused.hasPrefix("HTTP/1.1 503"), "\(refused.prefix(200))")
            #expect(refused.lowercased().contains("retry-after: 5"))
            #expect(refused.contains("\"code\":\"unavailable\""))
            #expect(fixture.registry.value(of: "sansang_http_refusals_total", ["reason": "connection_limit"]) == 1)
            #expect(try await fixture.collector.store.reportCount(site: ExampleSite.haiChau) == 0)

            slow.forEach { shutdown($0, Int32(SHUT_RDWR)) }
            try await waitUntil(timeout: 30, "the collector lets the closed connections go") {
                fixture.registry.value(of: "sansang_http_connections") == base
            }
            let accepted = try await RawConnection.post(port: port, token: token, body: body)
            #expect(accepted.hasPrefix("HTTP/1.1 202"), "\(accepted.prefix(200))")
            #expect(try await fixture.collector.store.reportCount(site: ExampleSite.haiChau) == 1)
        }
    }

    /// The same 61 slow connections with a 2 s idle timeout: the server closes every one (EOF), none before 2 s
    /// after it was opened, none later than 2 s (plus 3 s for a loaded machine) after the server had taken them
    /// all; then the agent gets its 202.
    @Test func slowConnectionsAreClosedAfterTheIdleTimeoutAndAnAgentGetsIts202() async throws {
        try await APIFixture.run(configure: { $0.maxConnections = 40; $0.idleTimeoutSeconds = 2 }) { fixture, client in
            let port = try #require(client.port)
            let token = try #require(fixture.siteTokens[ExampleSite.haiChau])
            // The test client's own connection is taken first, so that what follows counts the slow ones only.
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            let base = try #require(fixture.registry.value(of: "sansang_http_connections_total"))
            let watch = ConnectionWatch()
            let slow = try SlowConnections.open(port: port, token: token, watch: watch)
            defer { slow.forEach { close($0) } }
            let closes = watch.start(within: .seconds(60))
            try await waitUntil(timeout: 30, "the collector takes the 61 slow connections") {
                fixture.registry.value(of: "sansang_http_connections_total") == base + 61
            }
            let allTaken = ContinuousClock.now

            let closed = await closes.value
            #expect(closed.count == 61, "still open after 60 s: \(61 - closed.count) of 61")
            for connection in closed {
                #expect(connection.closed - connection.opened >= .milliseconds(1990),
                        "closed \(connection.closed - connection.opened) after it was opened, before the idle timeout")
                #expect(connection.closed - allTaken <= .seconds(5),
                        "closed \(connection.closed - allTaken) after the collector had taken every connection")
            }

            let accepted = try await RawConnection.post(port: port, token: token, body: try Self.batch(fixture))
            #expect(accepted.hasPrefix("HTTP/1.1 202"), "\(accepted.prefix(200))")
            #expect(try await fixture.collector.store.reportCount(site: ExampleSite.haiChau) == 1)
        }
    }

    /// A body trickled a byte every 200 ms never leaves the connection idle for `idle_timeout_s` (5 s); the total
    /// deadline `body_timeout_s` (2 s) still ends it: 408 `request_timeout` in JSON, the connection closed, the
    /// refusal counted and nothing stored. Before: the trickle held the connection as long as it went on.
    @Test func aTrickledBodyIsCutOffByTheBodyDeadline() async throws {
        try await APIFixture.run(configure: { $0.idleTimeoutSeconds = 5; $0.bodyTimeoutSeconds = 2 }) { fixture, client in
            let port = try #require(client.port)
            let token = try #require(fixture.siteTokens[ExampleSite.haiChau])
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            let base = try #require(fixture.registry.value(of: "sansang_http_connections_total"))
            let opened = ContinuousClock.now
            let fd = try RawConnection.open(port: port)
            defer { close(fd) }
            RawConnection.send(fd, "POST /api/v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                + "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
            // A byte every 200 ms for up to 30 s, from a thread of its own; what the server answered, and when it closed.
            let trickling = ConnectionWatch.trickle(fd, every: .milliseconds(200), for: .seconds(30))
            // The deadline runs from when the server reads the head, once it has taken the connection.
            try await waitUntil(timeout: 30, "the collector takes the connection") {
                (fixture.registry.value(of: "sansang_http_connections_total") ?? 0) >= base + 1
            }
            let taken = ContinuousClock.now
            let trickle = await trickling.value
            let answer = String(decoding: trickle.received, as: UTF8.self)
            let closed = try #require(trickle.closed, "still open after 30 s of trickling")
            #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer.prefix(200))")
            #expect(answer.lowercased().contains("content-type: application/json"))
            #expect(answer.contains("\"code\":\"request_timeout\""))
            #expect(closed - opened >= .milliseconds(1990), "closed \(closed - opened) after the head was sent")
            #expect(closed - taken <= .seconds(5), "closed \(closed - taken) after the collector had taken the connection")
            #expect(trickle.sent >= 5, "only \(trickle.sent) bytes trickled")
            #expect(fixture.registry.value(of: "sansang_http_refusals_total", ["reason": "body_timeout"]) == 1)
            #expect(try await fixture.collector.store.reportCount(site: ExampleSite.haiChau) == 0)
        }
    }

    static func batch(_ fixture: APIFixture) throws -> String {
        let report = readyReport(fixture.collector.inventory, site: ExampleSite.haiChau, seq: 1, at: Date())
        return String(decoding: try ReportCoding.encoder().encode(ReportBatch(reports: [report])), as: UTF8.self)
    }

    /// What the HTTP parser refuses gets a JSON error body too (before: an empty 400).
    @Test func parserErrorsAnswerJSON() async throws {
        try await APIFixture.run { _, client in
            let port = try #require(client.port)
            let fd = try RawConnection.open(port: port)
            defer { close(fd) }
            RawConnection.send(fd, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header Without Colon\r\n\r\n")
            let answer = try await RawConnection.readAll(fd)
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer.prefix(200))")
            #expect(answer.lowercased().contains("content-type: application/json"))
            #expect(answer.contains("\"code\":\"bad_parameter\""))
        }
    }
}

/// Plain TCP to the collector on loopback, to behave as no HTTP client would. Reads never block a thread.
enum RawConnection {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func open(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw Failure(description: "connect: errno \(errno)")
        }
        return fd
    }

    static func send(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Everything the server sends until it closes (or `within` seconds pass: then a failure). The socket is made
    /// non-blocking and read between short sleeps, so no thread is held while waiting: 61 of these at once with
    /// blocking reads queued behind the few threads of Dispatch's global queue on two cores.
    static func readAll(_ fd: Int32, within seconds: Int = 10) async throws -> String {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let deadline = ContinuousClock.now + .seconds(seconds)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received += buffer[0..<count]
            } else if count == 0 || errno == ECONNRESET {
                return String(decoding: received, as: UTF8.self)
            } else if errno != EAGAIN && errno != EWOULDBLOCK {
                throw Failure(description: "recv: errno \(errno)")
            } else if ContinuousClock.now >= deadline {
                throw Failure(description: "not closed within \(seconds) s")
            } else {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }

    static func waitForClose(_ fd: Int32, within seconds: Int) async throws {
        _ = try await readAll(fd, within: seconds)
    }

    /// One POST of a report batch with `Connection: close`; the whole answer.
    static func post(port: Int, token: String, body: String) async throws -> String {
        let fd = try open(port: port)
        defer { close(fd) }
        send(fd, "POST /api/v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
        return try await readAll(fd)
    }
}
