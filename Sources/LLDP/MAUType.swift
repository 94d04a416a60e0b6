/// Duplex mode implied by a MAU type.
public enum Duplex: String, Sendable, Equatable {
    case full, half, unknown
}

/// An IEEE 802.3 operational MAU type (the `dot3MauType` arc of IANA-MAU-MIB, 1.3.6.1.2.1.26.4.N),
/// with the speed and duplex it implies.
public struct MAUType: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt16

    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// The IANA name without the `dot3MauType` prefix (e.g. `10GbaseT`), or `nil` when not in our table.
    public var name: String? { Self.table[rawValue]?.name }
    /// Speed in Mbit/s; `nil` for unknown types, AUI and asymmetric-rate EPON types.
    public var speedMbps: Int? { Self.table[rawValue]?.speed }
    public var duplex: Duplex { Self.table[rawValue]?.duplex ?? .unknown }

    public var description: String { name.map { "\($0) (\(rawValue))" } ?? "MAU type \(rawValue)" }

    /// Values 1–104 of IANA-MAU-MIB (revision with dot3MauType2p5GigT = 103 and dot3MauType5GigT = 104),
    /// https://www.iana.org/assignments/ianamau-mib; 1–78 cross-checked with lldpd (src/lldp-const.h,
    /// src/lib/atoms/port.c), which for instance sends 41 (10GigBaseCX4) for a non-fibre 10 Gbit/s port.
    /// Types the MIB calls "full duplex mode only", and all types from 10 Gbit/s up, are full duplex.
    static let table: [UInt16: (name: String, speed: Int?, duplex: Duplex)] = {
        var table: [UInt16: (name: String, speed: Int?, duplex: Duplex)] = [:]
        func add(_ value: UInt16, _ name: String, _ speed: Int?, _ duplex: Duplex) {
            table[value] = (name, speed, duplex)
        }
        add(1, "AUI", nil, .unknown)
        add(2, "10Base5", 10, .half)
        add(3, "Foirl", 10, .half)
        add(4, "10Base2", 10, .half)
        add(5, "10BaseT", 10, .unknown)
        add(6, "10BaseFP", 10, .half)
        add(7, "10BaseFB", 10, .half)
        add(8, "10BaseFL", 10, .unknown)
        add(9, "10Broad36", 10, .half)
        add(10, "10BaseTHD", 10, .half)
        add(11, "10BaseTFD", 10, .full)
        add(12, "10BaseFLHD", 10, .half)
        add(13, "10BaseFLFD", 10, .full)
        add(14, "100BaseT4", 100, .half)
        add(15, "100BaseTXHD", 100, .half)
        add(16, "100BaseTXFD", 100, .full)
        add(17, "100BaseFXHD", 100, .half)
        add(18, "100BaseFXFD", 100, .full)
        add(19, "100BaseT2HD", 100, .half)
        add(20, "100BaseT2FD", 100, .full)
        add(21, "1000BaseXHD", 1000, .half)
        add(22, "1000BaseXFD", 1000, .full)
        add(23, "1000BaseLXHD", 1000, .half)
        add(24, "1000BaseLXFD", 1000, .full)
        add(25, "1000BaseSXHD", 1000, .half)
        add(26, "1000BaseSXFD", 1000, .full)
        add(27, "1000BaseCXHD", 1000, .half)
        add(28, "1000BaseCXFD", 1000, .full)
        add(29, "1000BaseTHD", 1000, .half)
        add(30, "1000BaseTFD", 1000, .full)
        add(31, "10GigBaseX", 10_000, .full)
        add(32, "10GigBaseLX4", 10_000, .full)
        add(33, "10GigBaseR", 10_000, .full)
        add(34, "10GigBaseER", 10_000, .full)
        add(35, "10GigBaseLR", 10_000, .full)
        add(36, "10GigBaseSR", 10_000, .full)
        add(37, "10GigBaseW", 10_000, .full)
        add(38, "10GigBaseEW", 10_000, .full)
        add(39, "10GigBaseLW", 10_000, .full)
        add(40, "10GigBaseSW", 10_000, .full)
        add(41, "10GigBaseCX4", 10_000, .full)
        add(42, "2BaseTL", 2, .full)
        add(43, "10PassTS", 10, .full)
        add(44, "100BaseBX10D", 100, .full)
        add(45, "100BaseBX10U", 100, .full)
        add(46, "100BaseLX10", 100, .full)
        add(47, "1000BaseBX10D", 1000, .full)
        add(48, "1000BaseBX10U", 1000, .full)
        add(49, "1000BaseLX10", 1000, .full)
        add(50, "1000BasePX10D", 1000, .full)
        add(51, "1000BasePX10U", 1000, .full)
        add(52, "1000BasePX20D", 1000, .full)
        add(53, "1000BasePX20U", 1000, .full)
        add(54, "10GbaseT", 10_000, .full)
        add(55, "10GbaseLRM", 10_000, .full)
        add(56, "1000baseKX", 1000, .full)
        add(57, "10GbaseKX4", 10_000, .full)
        add(58, "10GbaseKR", 10_000, .full)
        // 10G/1G asymmetric-rate EPON: no single speed.
        for (offset, suffix) in ["PRXD1", "PRXD2", "PRXD3", "PRXU1", "PRXU2", "PRXU3"].enumerated() {
            add(59 + UInt16(offset), "10G1Gbase" + suffix, nil, .full)
        }
        add(65, "10GbasePRD1", 10_000, .full)
        add(66, "10GbasePRD2", 10_000, .full)
        add(67, "10GbasePRD3", 10_000, .full)
        add(68, "10GbasePRU1", 10_000, .full)
        add(69, "10GbasePRU3", 10_000, .full)
        add(70, "40GbaseKR4", 40_000, .full)
        add(71, "40GbaseCR4", 40_000, .full)
        add(72, "40GbaseSR4", 40_000, .full)
        add(73, "40GbaseFR", 40_000, .full)
        add(74, "40GbaseLR4", 40_000, .full)
        add(75, "100GbaseCR10", 100_000, .full)
        add(76, "100GbaseSR10", 100_000, .full)
        add(77, "100GbaseLR4", 100_000, .full)
        add(78, "100GbaseER4", 100_000, .full)
        add(79, "1000baseT1", 1000, .full)
        add(80, "1000basePX30D", 1000, .full)
        add(81, "1000basePX30U", 1000, .full)
        add(82, "1000basePX40D", 1000, .full)
        add(83, "1000basePX40U", 1000, .full)
        add(84, "10G1GbasePRXD4", nil, .full)
        add(85, "10G1GbasePRXU4", nil, .full)
        add(86, "10GbasePRD4", 10_000, .full)
        add(87, "10GbasePRU4", 10_000, .full)
        add(88, "25GbaseCR", 25_000, .full)
        add(89, "25GbaseCRS", 25_000, .full)
        add(90, "25GbaseKR", 25_000, .full)
        add(91, "25GbaseKRS", 25_000, .full)
        add(92, "25GbaseR", 25_000, .full)
        add(93, "25GbaseSR", 25_000, .full)
        add(94, "25GbaseT", 25_000, .full)
        add(95, "40GbaseER4", 40_000, .full)
        add(96, "40GbaseR", 40_000, .full)
        add(97, "40GbaseT", 40_000, .full)
        add(98, "100GbaseCR4", 100_000, .full)
        add(99, "100GbaseKR4", 100_000, .full)
        add(100, "100GbaseKP4", 100_000, .full)
        add(101, "100GbaseR", 100_000, .full)
        add(102, "100GbaseSR4", 100_000, .full)
        add(103, "2p5GigT", 2500, .full)
        add(104, "5GigT", 5000, .full)
        return table
    }()
}
