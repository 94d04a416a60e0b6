import Foundation
import TestSupport

/// What the TLS labs share: an openssl CA database and config in `directory`, and nginx run on loopback
/// from a list of `server { … }` blocks.
enum TLSLabSupport {
    /// Writes `<name>.cnf` (with its index and serial) for `openssl ca` signing with `certificate`/`key`.
    static func writeCAConfig(in directory: URL, name: String, certificate: String, key: String, serial: String) throws {
        func path(_ file: String) -> String { directory.appendingPathComponent(file).path }
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("newcerts"), withIntermediateDirectories: true)
        try "".write(toFile: path("\(name).index"), atomically: true, encoding: .utf8)
        try "\(serial)\n".write(toFile: path("\(name).serial"), atomically: true, encoding: .utf8)
        try """
            [ca]
            default_ca = test
            [test]
            database = \(path("\(name).index"))
            new_certs_dir = \(path("newcerts"))
            certificate = \(certificate)
            private_key = \(key)
            serial = \(path("\(name).serial"))
            default_md = sha256
            policy = anything
            unique_subject = no
            [anything]
            commonName = supplied
            """.write(toFile: path("\(name).cnf"), atomically: true, encoding: .utf8)
    }

    /// Starts nginx (no daemon, no master) with `servers` in its http block, and waits until `probePort` accepts.
    static func startNginx(in directory: URL, servers: String, probePort: UInt16, daemons: DaemonScope) async throws -> Daemon {
        func path(_ file: String) -> String { directory.appendingPathComponent(file).path }
        let temp = path("tmp")
        try """
            daemon off;
            master_process off;
            pid \(path("nginx.pid"));
            error_log \(path("error.log")) warn;
            events {}
            http {
                access_log off;
                default_type text/plain;
                absolute_redirect off;
                client_body_temp_path \(temp);
                proxy_temp_path \(temp);
                fastcgi_temp_path \(temp);
                uwsgi_temp_path \(temp);
                scgi_temp_path \(temp);
            \(servers)
            }
            """.write(toFile: path("nginx.conf"), atomically: true, encoding: .utf8)
        let nginx = try daemons.start([try resolveExecutable("nginx"), "-c", path("nginx.conf"), "-p", directory.path],
                                      log: directory.appendingPathComponent("nginx.log"))
        try await nginx.waitUntilReady(timeout: 20, "listening") {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = probePort.bigEndian
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
        }
        return nginx
    }
}

/// A lab's temporary directory, its nginx (owned by the lab's `DaemonScope`) and openssl run in it. Made and
/// removed by `withTLSLab`.
class TLSLabDirectory: @unchecked Sendable {
    let directory: URL
    let daemons: DaemonScope
    var nginx: Daemon?

    init(prefix: String, daemons: DaemonScope) throws {
        self.daemons = daemons
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("newcerts"), withIntermediateDirectories: true)
    }


    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func openssl(_ arguments: [String]) async throws { _ = try await run(["openssl"] + arguments) }
}

/// A TLS lab made by `make` for the duration of `body`: its nginx stopped on every path (its logs attached when
/// the test fails), then its directory removed.
func withTLSLab<Lab: TLSLabDirectory>(
    _ make: (DaemonScope) async throws -> Lab, _ body: (Lab) async throws -> Void
) async throws {
    var made: Lab?
    try await withCleanup {
        try await withDaemons { daemons in
            let lab = try await make(daemons)
            made = lab
            try await body(lab)
        }
    } cleanup: {
        if let made { try? FileManager.default.removeItem(at: made.directory) }
    }
}
