import Foundation

/// A veth pair with one end in the test process's own network namespace (so code under test can open it
/// directly, e.g. a live capture) and the other end up and addressed inside `namespace`.
/// The host end is up but has no address, so nothing is routed through the host. Deleted by `delete()` or on release.
public final class HostVethLink: Sendable {
    public let hostInterface: String
    public let namespaceInterface: String

    public init(to namespace: NetworkNamespace, address: String) async throws {
        guard geteuid() == 0 else { throw NeedsRoot() }
        let tag = String(UInt32.random(in: 0...UInt32.max) % 100_000)
        hostInterface = "sh\(tag)"
        namespaceInterface = "sn\(tag)"
        try await run(["ip", "link", "add", hostInterface, "type", "veth",
                       "peer", "name", namespaceInterface, "netns", namespace.name])
        try await namespace.run(["ip", "addr", "add", "\(address)/24", "dev", namespaceInterface])
        try await namespace.run(["ip", "link", "set", namespaceInterface, "up"])
        try await run(["ip", "link", "set", hostInterface, "up"])
    }

    public func delete() async { _ = try? await runCapturing(["ip", "link", "delete", hostInterface]) }

    deinit { removeInBackground(["ip", "link", "delete", hostInterface]) }
}
