import Foundation

/// A real daemon started by a test (snmpd, lldpd, …) with posix_spawn, stopped by its PID — never by name.
///
/// Not Foundation's Process: with daemons that close the descriptors they inherit (snmpd does at start-up), Foundation on Linux
/// takes the close of its per-child socket for the child's exit and blocks its monitor thread in waitpid on
/// the daemon, after which no other Process (e.g. `run`) is ever reaped. It also gives the daemon an empty
/// signal mask: a child of Foundation's Process inherits the blocked signals of a dispatch worker thread,
/// SIGTERM included, so it could only be killed.
public final class Daemon: @unchecked Sendable {
    public let name: String
    public let logURL: URL
    public let pid: pid_t
    // Guarded by `lock`: whether the child has been reaped, and its wait status then.
    private let lock = NSLock()
    private var reaped = false
    private var waitStatus: Int32 = 0

    /// Starts `argv` with stdout and stderr appended to `logURL` and stdin from /dev/null.
    public init(_ argv: [String], log logURL: URL, environment: [String: String] = [:]) throws {
        name = argv[0]
        self.logURL = logURL
        let executable = try resolveExecutable(argv[0])
        let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0)=\($1)" }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logURL.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let cArgv = argv.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup($0) } + [nil]
        defer { (cArgv + cEnv).forEach { free($0) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, &attributes, cArgv, cEnv)
        guard status == 0 else { throw CommandFailure(argv: argv, status: status, output: String(cString: strerror(status))) }
        pid = child
    }

    public var isRunning: Bool {
        lock.withLock {
            if !reaped, waitpid(pid, &waitStatus, WNOHANG) == pid { reaped = true }
            return !reaped
        }
    }

    /// Once it has exited: its exit code, or 128 + the signal that ended it (as a shell reports it).
    public var exitCode: Int32? {
        guard !isRunning else { return nil }
        return lock.withLock {
            let signal = waitStatus & 0x7f
            return signal == 0 ? (waitStatus >> 8) & 0xff : 128 + signal
        }
    }

    public var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// SIGTERM, then SIGKILL if it has not exited within `grace` seconds; reaps it.
    public func stop(grace: Double = 3) {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while isRunning, Date() < deadline { usleep(20_000) }
        lock.withLock {
            guard !reaped else { return }
            kill(pid, SIGKILL)
            waitpid(pid, nil, 0)
            reaped = true
        }
    }

    deinit { stop() }
}
