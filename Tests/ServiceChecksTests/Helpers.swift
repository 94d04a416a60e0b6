import Foundation
import ReadinessModel
import ServiceChecks
import TestSupport

func target(_ kind: ServiceKind, _ host: String = "127.0.0.1", port: Int? = nil, path: String? = nil,
            timeout: Duration = .seconds(5), _ configure: (inout ServiceTarget.Options) -> Void = { _ in }) -> ServiceTarget {
    var options = ServiceTarget.Options()
    configure(&options)
    return ServiceTarget(check: ServiceCheck(name: "t-\(kind.rawValue)", kind: kind, host: host, port: port, path: path),
                         timeout: timeout, options: options)
}

/// A generous backstop: these tests assert the probes' own reasons, and the full parallel test run can stall the
/// machine for seconds (the backstop itself is tested with a stuck probe).
let patientRunner = ServiceRunner(grace: .seconds(30))

func check(_ target: ServiceTarget) async -> ServiceOutcome { await patientRunner.run(target) }

/// A socket bound on 127.0.0.1 that is never read (UDP: queries are never answered; TCP: listening, never accepting).
final class SilentSocket: @unchecked Sendable {
    let fd: Int32
    let port: UInt16

    init(udp: Bool) throws {
        let fd = socket(AF_INET, udp ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard ok, udp || listen(fd, 16) == 0 else { throw CommandFailure(argv: ["bind"], status: errno, output: "") }
        self.fd = fd
        port = UInt16(bigEndian: address.sin_port)
    }

    deinit { close(fd) }
}

