import Foundation

/// scripts/smtp-sink.py (aiosmtpd) on 127.0.0.1:`port`, keeping every message it accepts in `mailbox`
/// (`NNNN.eml` and the envelope as `NNNN.json`). Owned by a `DaemonScope` (see `withSMTPSink`); `stop()` stops it
/// earlier (a mail server that goes away).
public final class SMTPSink: Sendable {
    public let port: UInt16
    public let mailbox: URL
    public let daemon: Daemon

    /// Starts the sink and waits until it listens. `tls`: certificate and key PEM files (STARTTLS offered and
    /// required); `login`: AUTH required with this user and password.
    public init(port: UInt16, mailbox: URL, log: URL, tls: (certificate: URL, key: URL)? = nil,
                login: (user: String, password: String)? = nil, daemons: DaemonScope) async throws {
        self.port = port
        self.mailbox = mailbox
        var argv = ["/usr/bin/python3", packageRoot.appendingPathComponent("scripts/smtp-sink.py").path,
                    "--port", "\(port)", "--mailbox", mailbox.path]
        if let tls { argv += ["--cert", tls.certificate.path, "--key", tls.key.path] }
        if let login { argv += ["--user", login.user, "--password", login.password] }
        let daemon = try daemons.start(argv, log: log)
        self.daemon = daemon
        try await daemon.waitUntilReady(timeout: 30, "listening on \(port)") { daemon.log.contains("listening on") }
    }

    /// The messages received so far, in order of arrival.
    public var messages: [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: mailbox.path)) ?? []
        return names.filter { $0.hasSuffix(".eml") && !$0.hasPrefix(".") }.sorted().map { mailbox.appendingPathComponent($0) }
    }

    public func stop() async { await daemon.stop() }
}

/// An `SMTPSink` for the duration of `body`, stopped afterwards on every path (its log attached when the test fails).
public func withSMTPSink<T>(
    port: UInt16, mailbox: URL, log: URL, tls: (certificate: URL, key: URL)? = nil,
    login: (user: String, password: String)? = nil,
    _ body: (SMTPSink) async throws -> T
) async throws -> T {
    try await withDaemons { daemons in
        try await body(try await SMTPSink(port: port, mailbox: mailbox, log: log, tls: tls, login: login, daemons: daemons))
    }
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
