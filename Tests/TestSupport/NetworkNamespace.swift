import Foundation

/// A network namespace created by a test and deleted when it is released.
/// Test traffic stays inside these namespaces, addressed from 198.18.0.0/15.
public final class NetworkNamespace: @unchecked Sendable {
    public let name: String

    public init(prefix: String = "sst") throws {
        guard geteuid() == 0 else { throw NeedsRoot() }
        name = "\(prefix)-\(UInt32.random(in: 0...UInt32.max) % 1_000_000)"
        // TestSupport.run: `run` alone would be the method below, which runs inside the namespace.
        try TestSupport.run(["ip", "netns", "add", name])
        try TestSupport.run(["ip", "-n", name, "link", "set", "lo", "up"])
    }

    /// The argv that runs `argv` inside this namespace.
    public func command(_ argv: [String]) -> [String] { ["ip", "netns", "exec", name] + argv }

    @discardableResult
    public func run(_ argv: [String]) throws -> String { try TestSupport.run(command(argv)) }

    deinit { _ = try? TestSupport.run(["ip", "netns", "delete", name]) }
}

/// A veth pair joining two namespaces, each end up and addressed (/24 from 198.18.0.0/15).
public struct VethLink: Sendable {
    public let leftInterface: String
    public let rightInterface: String

    public init(_ left: NetworkNamespace, _ leftAddress: String, _ right: NetworkNamespace, _ rightAddress: String) throws {
        let tag = String(UInt32.random(in: 0...UInt32.max) % 100_000)
        leftInterface = "sl\(tag)"
        rightInterface = "sr\(tag)"
        try run(["ip", "link", "add", leftInterface, "netns", left.name, "type", "veth",
                 "peer", "name", rightInterface, "netns", right.name])
        try left.run(["ip", "addr", "add", "\(leftAddress)/24", "dev", leftInterface])
        try right.run(["ip", "addr", "add", "\(rightAddress)/24", "dev", rightInterface])
        try left.run(["ip", "link", "set", leftInterface, "up"])
        try right.run(["ip", "link", "set", rightInterface, "up"])
    }
}

public struct NeedsRoot: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "this test creates network namespaces and needs root (CI runs as root)" }
}
