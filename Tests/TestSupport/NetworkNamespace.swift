import Foundation
import Testing

/// A network namespace created by a test and deleted by `delete()` (or, as a last resort, when released).
/// Test traffic stays inside these namespaces, addressed from 198.18.0.0/15. Prefer `withNetworkNamespace`.
public final class NetworkNamespace: Sendable {
    public let name: String

    public init(prefix: String = "sst") async throws {
        guard geteuid() == 0 else { throw NeedsRoot() }
        name = "\(prefix)-\(UInt32.random(in: 0...UInt32.max) % 1_000_000)"
        // TestSupport.run: `run` alone would be the method below, which runs inside the namespace.
        try await TestSupport.run(["ip", "netns", "add", name])
        try await TestSupport.run(["ip", "-n", name, "link", "set", "lo", "up"])
    }

    /// The argv that runs `argv` inside this namespace.
    public func command(_ argv: [String]) -> [String] { ["ip", "netns", "exec", name] + argv }

    @discardableResult
    public func run(_ argv: [String]) async throws -> String { try await TestSupport.run(command(argv)) }

    /// Deletes the namespace (and with it the interfaces in it); waits for `ip` to finish.
    public func delete() async {
        _ = try? await TestSupport.runCapturing(["ip", "netns", "delete", name])
    }

    // Without waiting: the command is reaped by its own thread.
    deinit { removeInBackground(["ip", "netns", "delete", name]) }
}

/// A namespace for the duration of `body`, deleted afterwards on every path.
public func withNetworkNamespace<T>(
    prefix: String = "sst", isolation: isolated (any Actor)? = #isolation,
    _ body: (NetworkNamespace) async throws -> T
) async throws -> T {
    let namespace = try await NetworkNamespace(prefix: prefix)
    do {
        let result = try await body(namespace)
        await namespace.delete()
        return result
    } catch {
        await namespace.delete()
        throw error
    }
}

/// A veth pair joining two namespaces, each end up and addressed (/24 from 198.18.0.0/15).
public struct VethLink: Sendable {
    public let leftInterface: String
    public let rightInterface: String

    public init(_ left: NetworkNamespace, _ leftAddress: String, _ right: NetworkNamespace, _ rightAddress: String) async throws {
        let tag = String(UInt32.random(in: 0...UInt32.max) % 100_000)
        leftInterface = "sl\(tag)"
        rightInterface = "sr\(tag)"
        try await run(["ip", "link", "add", leftInterface, "netns", left.name, "type", "veth",
                       "peer", "name", rightInterface, "netns", right.name])
        try await left.run(["ip", "addr", "add", "\(leftAddress)/24", "dev", leftInterface])
        try await right.run(["ip", "addr", "add", "\(rightAddress)/24", "dev", rightInterface])
        try await left.run(["ip", "link", "set", leftInterface, "up"])
        try await right.run(["ip", "link", "set", rightInterface, "up"])
    }
}

public struct NeedsRoot: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "this test creates network namespaces and needs root (CI runs as root)" }
}

/// Whether this process may create namespaces, interfaces and raw sockets.
public let isRoot = geteuid() == 0

extension Trait where Self == ConditionTrait {
    /// Skips the test, visibly and with the reason, when not run as root.
    public static var needsRoot: Self {
        .enabled(if: isRoot, "needs root: creates network namespaces or interfaces, or opens raw sockets (CI runs as root)")
    }
}

/// Starts a clean-up command (e.g. deleting an interface) from a deinit, where nothing can be awaited.
func removeInBackground(_ argv: [String]) {
    let null = URL(fileURLWithPath: "/dev/null")
    _ = try? ChildProcess(argv, stdout: null, stderr: null)
}
