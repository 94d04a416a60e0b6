import Foundation

/// scripts/smtp-sink.py (aiosmtpd) on 127.0.0.1:`port`, keeping every message it accepts in `mailbox`
/// (`NNNN.eml` and the envelope as `NNNN.json`). Stopped by PID when released or by `stop()`.
public final class SMTPSink: Sendable {
    public let port: UInt16
    public let mailbox: URL
    public let daemon: Daemon

    /// Starts the sink and waits until it listens. `tls`: certificate and key PEM files (STARTTLS offered and
    /// required); `login`: AUTH required with this user and password.
    public init(port: UInt16, mailbox: URL, log: URL, tls: (certificate: URL, key: URL)? = nil,
                login: (user: String, password: String)? = nil) async throws {
        self.port = port
        self.mailbox = mailbox
        var argv = ["/usr/bin/python3", packageRoot.appendingPathComponent("scripts/smtp-sink.py").path,
                    "--port", "\(port)", "--mailbox", mailbox.path]
        if let tls { argv += ["--cert", tls.certificate.path, "--key", tls.key.path] }
        if let login { argv += ["--user", login.user, "--password", login.password] }
        let daemon = try Daemon(argv, log: log)
        self.daemon = daemon
        try await waitUntil(timeout: 30, "smtp-sink listening on \(port): \(log.path)") {
            guard daemon.isRunning else { throw CommandFailure(argv: argv, status: daemon.exitCode ?? -1, output: daemon.log) }
            return daemon.log.contains("listening on")
        }
    }

    /// The messages received so far, in order of arrival.
    public var messages: [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: mailbox.path)) ?? []
        return names.filter { $0.hasSuffix(".eml") && !$0.hasPrefix(".") }.sorted().map { mailbox.appendingPathComponent($0) }
    }

    public func stop() async { await daemon.stop() }
}

/// A self-signed certificate for 127.0.0.1 (and `localhost`) made with openssl in `directory`: (certificate, key).
public func makeLoopbackCertificate(in directory: URL) async throws -> (certificate: URL, key: URL) {
    let certificate = directory.appendingPathComponent("loopback.pem")
    let key = directory.appendingPathComponent("loopback.key")
    try await run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", key.path, "-out", certificate.path, "-days", "2", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
    return (certificate, key)
}
