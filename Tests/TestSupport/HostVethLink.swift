import Foundation

/// A veth pair with one end in the test process's own network namespace (so code under test can open it
/// directly, e.g. a live capture) and the other end up and addressed inside `namespace`.
/// The host end is up but has no address, so nothing is routed through the host. Deleted on release.
public final class HostVethLink: @unchecked Sendable {
    public let hostInterface: String
    public let namespaceInterface: String

    public init(to namespace: NetworkNamespace, address: String) throws {
        guard geteuid() == 0 else { throw NeedsRoot() }
        let tag = String(UInt32.random(in: 0...UInt32.max) % 100_000)
        hostInterface = "sh\(tag)"
        namespaceInterface = "sn\(tag)"
        try run(["ip", "link", "add", hostInterface, "type", "veth",
                 "peer", "name", namespaceInterface, "netns", namespace.name])
        try namespace.run(["ip", "addr", "add", "\(address)/24", "dev", namespaceInterface])
        try namespace.run(["ip", "link", "set", namespaceInterface, "up"])
        try run(["ip", "link", "set", hostInterface, "up"])
    }

    deinit { _ = try? run(["ip", "link", "delete", hostInterface]) }
}
