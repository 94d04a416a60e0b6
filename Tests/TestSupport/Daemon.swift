import Foundation
import Testing

/// A real daemon started by a test (snmpd, lldpd, our own programs, …), its stdout and stderr in a log file,
/// stopped by its PID — never by name. Start it in a scope (`withDaemon`, `withDaemons`), which stops it on every
/// path and attaches its log to the test when the test fails in it.
public final class Daemon: Sendable {
    public let name: String
    public let logURL: URL
    public let process: ChildProcess

    /// Starts `argv` with stdout and stderr appended to `logURL` and stdin from /dev/null (through a `DaemonScope`).
    init(_ argv: [String], log logURL: URL, environment: [String: String] = [:]) throws {
        name = argv[0]
        self.logURL = logURL
        process = try ChildProcess(argv, stdout: logURL, stderr: logURL, environment: environment)
    }

    public var pid: pid_t { process.pid }
    public var isRunning: Bool { process.isRunning }
    /// Once it has exited: its exit code, or 128 + the signal that ended it (as a shell reports it).
    public var exitCode: Int32? { process.exitCode }

    public var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// SIGTERM, then SIGKILL if it has not exited within `grace` seconds; returns once it is reaped.
    public func stop(grace: Double = 3) async {
        await process.stop(grace: .milliseconds(Int(grace * 1000)))
    }

    /// SIGKILL, as a crash would end it; returns once it is reaped.
    public func kill9() async {
        process.signal(SIGKILL)
        await process.waitForExit()
    }

    /// Attaches the log to the current test (kept by `swift test --attachments-path`, shown on failure).
    public func attachLog() {
        Attachment.record(Array(log.utf8), named: "\(URL(fileURLWithPath: name).lastPathComponent)-\(pid).log")
    }
}

/// Starts a daemon, runs `body` with it and stops it afterwards on every path; when `body` throws or the test
/// records a failure while it runs, the daemon's log is attached to the test first (see `withDaemons`).
public func withDaemon<T>(
    _ argv: [String], log: URL, environment: [String: String] = [:],
    _ body: (Daemon) async throws -> T
) async throws -> T {
    try await withDaemons { daemons in
        try await body(try daemons.start(argv, log: log, environment: environment))
    }
}
