import Foundation
import Testing

/// The daemons a test starts inside one `withDaemons { }` scope. The scope owns them: when it ends, on every
/// path, each one still running is stopped (SIGTERM, then SIGKILL) and reaped; when the test failed inside the
/// scope (a thrown error, or any `#expect`/`#require`/`Issue.record` failure recorded while it ran), the log
/// file of every daemon it started is attached to the test (`swift test --attachments-path DIR` keeps them),
/// instead of being printed into expectation messages.
public final class DaemonScope: Sendable {
    private let started = Locked<[Daemon]>([])

    init() {}

    /// Starts `argv` (stdout and stderr appended to `log`, stdin from /dev/null), owned by this scope.
    @discardableResult
    public func start(_ argv: [String], log: URL, environment: [String: String] = [:]) throws -> Daemon {
        let daemon = try Daemon(argv, log: log, environment: environment)
        started.withLock { $0.append(daemon) }
        return daemon
    }

    /// Every daemon started in this scope so far, in order of start.
    public var daemons: [Daemon] { started.withLock { $0 } }

    /// Stops every daemon still running, the last started first, and waits until each has exited (the scope
    /// does so when it ends; call it earlier to stop them before, e.g., deleting the namespaces they run in).
    public func stopAll() async {
        for daemon in daemons.reversed() { await daemon.stop() }
    }

    /// Attaches each log file once (daemons restarted with the same log share it).
    func attachLogs() {
        var attached: Set<String> = []
        for daemon in daemons where attached.insert(daemon.logURL.path).inserted { daemon.attachLog() }
    }
}

extension Daemon {
    /// Waits until `ready` holds (checked every 20 ms, an error counting as "not yet"), at most `timeout`
    /// seconds; fails at once when the daemon exits first. Its log is not in the error: the scope attaches it.
    public func waitUntilReady(
        timeout: Double, _ what: String,
        isolation: isolated (any Actor)? = #isolation,
        _ ready: () async throws -> Bool
    ) async throws {
        try await waitUntil(timeout: timeout, "\(name) \(what)") {
            guard isRunning else { throw DaemonExited(name: name, exitCode: exitCode, waitingFor: what) }
            return try await ready()
        } stopWhen: { $0 is DaemonExited }
    }
}

/// A daemon exited while a test waited for it to get ready.
public struct DaemonExited: Error, CustomStringConvertible {
    public let name: String
    public let exitCode: Int32?
    public let waitingFor: String

    public init(name: String, exitCode: Int32?, waitingFor: String) {
        self.name = name
        self.exitCode = exitCode
        self.waitingFor = waitingFor
    }

    public var description: String {
        "\(name) exited (code \(exitCode.map(String.init) ?? "?")) before \(waitingFor); its log is attached to the test"
    }
}

// The scoped helpers here take no `isolation` parameter (nonisolated, as the tests calling them): the issue
// observer hands `body` to Swift Testing's scope, which region checking allows only within one isolation.

/// Runs `body` with a `DaemonScope`; afterwards, on every path, stops each daemon it started. When `body` throws
/// or the test records a failure while `body` runs, attaches every daemon's log to the test first.
public func withDaemons<T>(_ body: (DaemonScope) async throws -> T) async throws -> T {
    let scope = DaemonScope()
    // Stopped first, so that an attached log ends with what the daemon wrote on its way out.
    do {
        let (result, failed) = try await observingFailures { try await body(scope) }
        await scope.stopAll()
        if failed { scope.attachLogs() }
        return result
    } catch {
        await scope.stopAll()
        scope.attachLogs()
        throw error
    }
}

/// Runs `body` and returns its result and whether an issue of error severity was recorded for the current test
/// while it ran (Swift Testing's issue-handling scope sees each one; it is passed on unchanged). Outside a test,
/// nothing is observed.
public func observingFailures<T>(_ body: () async throws -> T) async throws -> (T, failed: Bool) {
    guard let test = Test.current else { return (try await body(), false) }
    let failed = Locked(false)
    let observer = IssueHandlingTrait.compactMapIssues { issue in
        // Errors, known ones too (a known issue is marked before handlers see it): their logs do no harm.
        if issue.severity >= .error { failed.withLock { $0 = true } }
        return issue
    }
    let result = Locked<T?>(nil)
    // The scope runs `body` in this same task (it only sets a task-local configuration), so handing the
    // non-Sendable closure and result across the @Sendable boundary is safe.
    try await withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let body = body
        try await observer.provideScope(for: test, testCase: Test.Case.current) {
            let value = try await body()
            result.withLock { $0 = value }
        }
    }
    // provideScope returns only after `body` returned a value (a throw propagates above).
    return (result.withLock { $0 }!, failed.withLock { $0 })
}

/// A value shared across tasks under a lock.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        try lock.withLock { try body(&value) }
    }
}
