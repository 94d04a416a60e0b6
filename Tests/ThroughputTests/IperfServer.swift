import Foundation
import TestSupport

/// A real `iperf3 -s` on loopback (Debian's 3.12), with its own JSON log of each test, owned by a
/// `DaemonScope` (see `withIperfServer`).
final class IperfServer: @unchecked Sendable {
    let port: UInt16
    let jsonLog: URL
    let daemon: Daemon

    init(directory: URL, namespace: NetworkNamespace? = nil, bind: String = "127.0.0.1", daemons: DaemonScope) async throws {
        // The port was free when the kernel picked it; if another test took it meanwhile, iperf3 exits and we pick again.
        var attempt = 0
        while true {
            attempt += 1
            let port = try freeLoopbackPort(udp: false)
            let jsonLog = directory.appendingPathComponent("iperf3-\(port).json")
            let argv = ["iperf3", "-s", "-p", String(port), "-B", bind, "-J", "--logfile", jsonLog.path]
            let daemon = try daemons.start(namespace?.command(argv) ?? argv, log: directory.appendingPathComponent("iperf3-\(port).out"))
            // Wait for the listening socket without connecting to it (a silent connection would wedge 3.12).
            let ss = namespace?.command(["ss", "-Hltn", "sport = :\(port)"]) ?? ["ss", "-Hltn", "sport = :\(port)"]
            try await waitUntil(timeout: 30, "iperf3 -s listening on \(port)") {
                guard daemon.isRunning else { return true }
                return try await run(ss).contains(":\(port)")
            }
            if daemon.isRunning || attempt == 3 {
                guard daemon.isRunning else { throw DaemonExited(name: "iperf3", exitCode: daemon.exitCode, waitingFor: "listening (3 ports tried)") }
                (self.port, self.jsonLog, self.daemon) = (port, jsonLog, daemon)
                return
            }
        }
    }

    /// The server's own count of the last test, from its `-J` log: bytes it received and sent.
    func ownView(timeout: Double = 5) async throws -> (received: UInt64, sent: UInt64) {
        var view: (UInt64, UInt64)?
        try await waitUntil(timeout: timeout, "the server's JSON log") {
            guard let data = try? Data(contentsOf: jsonLog),
                  let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let end = object["end"] as? [String: Any], let streams = end["streams"] as? [[String: Any]],
                  !streams.isEmpty
            else { return false }
            var received: UInt64 = 0
            var sent: UInt64 = 0
            for stream in streams {
                let sender = stream["sender"] as? [String: Any] ?? [:]
                let receiver = stream["receiver"] as? [String: Any] ?? [:]
                if sender["sender"] as? Bool == true {
                    sent += (sender["bytes"] as? NSNumber)?.uint64Value ?? 0
                } else {
                    received += (receiver["bytes"] as? NSNumber)?.uint64Value ?? 0
                }
            }
            view = (received, sent)
            return true
        }
        return view!
    }
}

/// An `IperfServer` in `directory` for the duration of `body`, stopped afterwards on every path (its output
/// attached when the test fails).
func withIperfServer<T>(
    directory: URL, namespace: NetworkNamespace? = nil, bind: String = "127.0.0.1",
    _ body: (IperfServer) async throws -> T
) async throws -> T {
    try await withDaemons { daemons in
        try await body(try await IperfServer(directory: directory, namespace: namespace, bind: bind, daemons: daemons))
    }
}

/// A TCP listener that completes handshakes (the kernel does) and never says anything.
final class SilentListener {
    let fd: Int32
    let port: UInt16

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { throw CommandFailure(argv: ["listen"], status: errno, output: "") }
        port = UInt16(bigEndian: address.sin_port)
    }

    deinit { close(fd) }
}
