import Foundation

/// A child process started with `posix_spawn` and reaped by a thread of its own, so that a test awaits its exit
/// without ever blocking a thread of Swift's cooperative pool. Signals it by PID — never by name.
///
/// Not Foundation's Process: with daemons that close the descriptors they inherit (snmpd does at start-up), Foundation on Linux
/// takes the close of its per-child socket for the child's exit and blocks its monitor thread in waitpid on
/// the daemon, after which no other Process is ever reaped. It also gives the child the signal mask of a
/// dispatch worker thread, SIGTERM blocked, so it could only be killed. Here the child starts with an empty mask.
public final class ChildProcess: @unchecked Sendable {
    public let argv: [String]
    public let pid: pid_t
    // Guarded by `lock`: the wait status once reaped, and who waits for it (each waiter by a number of its
    // own, so that a timer can take its waiter out again and resume it with `false`).
    private let lock = NSLock()
    private var waitStatus: Int32?
    private var waiters: [Int: CheckedContinuation<Bool, Never>] = [:]
    private var nextWaiter = 0

    /// Starts `argv` (looked up in PATH and the sbin directories) with stdin from /dev/null, stdout to
    /// `stdout` and stderr to `stderr` (appended; the same path for both interleaves them), in `directory`.
    public init(_ argv: [String], stdout: URL, stderr: URL, environment: [String: String] = [:], directory: URL? = nil) throws {
        self.argv = argv
        var spawned = [try resolveExecutable(argv[0])] + argv.dropFirst()
        // posix_spawn has no portable chdir (Swift's Glibc does not import the _np one): GNU env changes directory.
        if let directory { spawned = ["/usr/bin/env", "-C", directory.path] + spawned }
        let executable = spawned[0]
        let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0)=\($1)" }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if stderr == stdout {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, stderr.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        }
        // Nothing else: a copy of an in-process server's socket would keep it open after the server closed it.
        closeDescriptorsAboveStderr(&actions)

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

        let cArgv = spawned.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup($0) } + [nil]
        defer { (cArgv + cEnv).forEach { free($0) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, &attributes, cArgv, cEnv)
        guard status == 0 else { throw CommandFailure(argv: argv, status: status, output: String(cString: strerror(status))) }
        pid = child
        // The reaper: blocks in waitpid on its own thread (it ends with the child), then wakes every waiter.
        let thread = Thread { [self] in reap() }
        thread.name = "reap \(child)"
        thread.start()
    }

    private func reap() {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        let waiting = lock.withLock {
            waitStatus = status
            defer { waiters = [:] }
            return waiters.values
        }
        waiting.forEach { $0.resume(returning: true) }
    }

    public var isRunning: Bool { lock.withLock { waitStatus == nil } }

    /// Once it has exited: its exit code, or 128 + the signal that ended it (as a shell reports it).
    public var exitCode: Int32? {
        lock.withLock {
            guard let waitStatus else { return nil }
            let signal = waitStatus & 0x7f
            return signal == 0 ? (waitStatus >> 8) & 0xff : 128 + signal
        }
    }

    /// Waits for the exit (the event, not a poll) and returns the exit code as `exitCode` gives it.
    @discardableResult
    public func waitForExit() async -> Int32 {
        _ = await wait(timeout: nil)
        return exitCode ?? -1
    }

    /// Waits for the exit at most `timeout`; nil when it is still running then. Returns at the timeout
    /// whether or not the child ever exits (its waiter is taken out of the queue, nothing is left waiting).
    public func waitForExit(timeout: Duration) async -> Int32? {
        await wait(timeout: timeout) ? exitCode ?? -1 : nil
    }

    /// True once the child has exited; false when `timeout` passed first.
    private func wait(timeout: Duration?) async -> Bool {
        var timer: Task<Void, Never>?
        let exited = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let id: Int? = lock.withLock {
                if waitStatus != nil { return nil }
                nextWaiter += 1
                waiters[nextWaiter] = continuation
                return nextWaiter
            }
            guard let id else { return continuation.resume(returning: true) }
            if let timeout {
                timer = Task { [self] in
                    do { try await Task.sleep(for: timeout) } catch { return }
                    // Still queued: the exit has not come; resume with false (else the reaper resumed it).
                    lock.withLock { waiters.removeValue(forKey: id) }?.resume(returning: false)
                }
            }
        }
        timer?.cancel()
        return exited
    }

    public func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`; returns once it is reaped.
    public func stop(grace: Duration = .seconds(3)) async {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        if await waitForExit(timeout: grace) != nil { return }
        kill(pid, SIGKILL)
        await waitForExit()
    }

    /// A last resort for paths that did not stop it: SIGKILL, reaped by its thread.
    deinit { if waitStatus == nil { kill(pid, SIGKILL) } }
}
