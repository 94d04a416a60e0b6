import CLinuxNet
import Foundation
import ReadinessModel

/// Reads NIC evidence from Linux sysfs (`/sys/class/net`) and the ethtool ioctl.
/// The roots are configurable so that parsing can be tested on a directory tree a test builds.
public struct NICProbe: SpeedEvidenceProbe {
    public struct Configuration: Sendable {
        public var sysfsRoot: String
        public var routeTable: String
        /// Ask the kernel (ethtool ioctl) for the driver and autonegotiation; off when reading a test tree.
        public var useEthtool: Bool

        public init(sysfsRoot: String = "/sys/class/net", routeTable: String = "/proc/net/route", useEthtool: Bool = true) {
            self.sysfsRoot = sysfsRoot
            self.routeTable = routeTable
            self.useEthtool = useEthtool
        }
    }

    public let configuration: Configuration
    public var source: SpeedSource { .nic }

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// All interfaces but loopback, sorted by name.
    public func interfaces() throws(NICError) -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: configuration.sysfsRoot)
                .filter { $0 != "lo" }
                .sorted()
        } catch {
            throw NICError(code: .sysfsUnreadable, message: "cannot list \(configuration.sysfsRoot)", cause: error)
        }
    }

    /// The interface of the IPv4 default route (the first, lowest metric wins), or nil when there is none.
    public func defaultRouteInterface() -> String? {
        guard let table = try? String(contentsOfFile: configuration.routeTable, encoding: .utf8) else { return nil }
        return DefaultRoute.interface(inRouteTable: table)
    }

    /// Resolves `auto` to the default route's interface.
    public func resolve(_ interface: String) throws(NICError) -> String {
        guard interface == "auto" else { return interface }
        guard let found = defaultRouteInterface() else {
            throw NICError(code: .noDefaultRoute, message: "uplink is `auto` but this host has no IPv4 default route", cause: nil)
        }
        return found
    }

    public func evidence(interface: String) throws(NICError) -> NICEvidence {
        let directory = "\(configuration.sysfsRoot)/\(interface)"
        guard FileManager.default.fileExists(atPath: directory) else {
            throw NICError(code: .noSuchInterface, message: "no network interface named \(interface)", cause: nil)
        }
        var unreadable: [String: String] = [:]
        func attribute(_ name: String) -> String? {
            do {
                return try String(contentsOfFile: "\(directory)/\(name)", encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                // The kernel refuses some reads (EINVAL on `speed` while the link is down, or for loopback).
                unreadable[name] = "not readable"
                return nil
            }
        }
        func counter(_ name: String) -> UInt64? { attribute("statistics/\(name)").flatMap { UInt64($0) } }

        var evidence = NICEvidence(interface: interface)
        if let speed = attribute("speed") {
            if let value = Int(speed), value > 0 { evidence.speedMbps = value } else { unreadable["speed"] = "not reported by the driver (\(speed))" }
        }
        if let duplex = attribute("duplex"), duplex != "unknown" { evidence.duplex = duplex }
        evidence.carrier = attribute("carrier").map { $0 == "1" }
        evidence.operState = attribute("operstate") ?? "unknown"
        evidence.mtu = attribute("mtu").flatMap { Int($0) }
        evidence.macAddress = attribute("address")
        evidence.counters = InterfaceCounters(
            rxBytes: counter("rx_bytes"), txBytes: counter("tx_bytes"),
            rxPackets: counter("rx_packets"), txPackets: counter("tx_packets"),
            rxErrors: counter("rx_errors"), txErrors: counter("tx_errors"),
            rxDropped: counter("rx_dropped"), txDropped: counter("tx_dropped"))
        if configuration.useEthtool {
            evidence.driver = Ethtool.driver(interface)
            evidence.autonegotiation = Ethtool.autonegotiation(interface)
        } else if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(directory)/device/driver") {
            evidence.driver = (target as NSString).lastPathComponent
        }
        evidence.unreadable = unreadable
        return evidence
    }

    public func reading(interface: String) async -> SpeedReading {
        do {
            let nic = try evidence(interface: try resolve(interface))
            var facts = ["interface": nic.interface, "operstate": nic.operState]
            facts["duplex"] = nic.duplex
            facts["carrier"] = nic.carrier.map { $0 ? "up" : "down" }
            facts["driver"] = nic.driver
            facts["autonegotiation"] = nic.autonegotiation.map { $0 ? "on" : "off" }
            guard let speed = nic.speedMbps else {
                return .unknown(.nic, error: "\(nic.interface): speed \(nic.unreadable["speed"] ?? "unknown")", facts: facts)
            }
            return SpeedReading(source: .nic, speedMbps: speed, facts: facts)
        } catch {
            return .unknown(.nic, error: error.message)
        }
    }
}

/// Parsing of `/proc/net/route`, kept apart from the file read so it is tested alone.
enum DefaultRoute {
    static func interface(inRouteTable table: String) -> String? {
        var best: (name: String, metric: Int)?
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            // Iface Destination Gateway Flags RefCnt Use Metric Mask …; default route: destination and mask 0, RTF_UP.
            guard fields.count >= 8, fields[1] == "00000000", fields[7] == "00000000",
                  let flags = Int(fields[3], radix: 16), flags & 0x1 != 0, let metric = Int(fields[6]) else { continue }
            if best == nil || metric < best!.metric { best = (String(fields[0]), metric) }
        }
        return best?.name
    }
}

enum Ethtool {
    static func driver(_ interface: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 64)
        guard sansang_ethtool_driver(interface, &buffer, buffer.count) == 0 else { return nil }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? nil : name
    }

    static func autonegotiation(_ interface: String) -> Bool? {
        var enabled: Int32 = 0
        guard sansang_ethtool_autoneg(interface, &enabled) == 0 else { return nil }
        return enabled != 0
    }
}

/// A failure to read NIC evidence, with a stable code.
public struct NICError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case noSuchInterface = "no_such_interface"
        case noDefaultRoute = "no_default_route"
        case sysfsUnreadable = "sysfs_unreadable"
    }

    public let code: Code
    public let message: String
    public let cause: (any Error)?

    public init(code: Code, message: String, cause: (any Error)?) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { cause.map { "\(message): \($0)" } ?? message }
}
