import Foundation

/// A veth pair in the test's own network namespace, both ends up, deleted by `delete()` or when released.
/// For tests that read an interface's own view (sysfs, ethtool); no address, no traffic.
public final class LocalVethPair: Sendable {
    public let name: String
    public let peer: String

    public init() async throws {
        guard geteuid() == 0 else { throw NeedsRoot() }
        let tag = String(UInt32.random(in: 0...UInt32.max) % 100_000)
        name = "svA\(tag)"
        peer = "svB\(tag)"
        try await run(["ip", "link", "add", name, "type", "veth", "peer", "name", peer])
        try await run(["ip", "link", "set", name, "up"])
        try await run(["ip", "link", "set", peer, "up"])
    }

    public func delete() async { _ = try? await runCapturing(["ip", "link", "delete", name]) }

    deinit { removeInBackground(["ip", "link", "delete", name]) }
}
