import CPcap

/// How to open a live capture. Every field has a default; `CaptureConfiguration()` captures everything on
/// the `any` pseudo-interface (link type Linux cooked, not Ethernet — name a real interface for LLDP).
public struct CaptureConfiguration: Sendable, Equatable {
    public var interface: String
    /// A BPF filter in pcap-filter(7) syntax, e.g. `ether proto 0x88cc` for LLDP; `nil` captures everything.
    public var filter: String?
    /// Bytes kept of each packet.
    public var snapshotLength: Int
    public var promiscuous: Bool
    /// Hand each packet over as it arrives instead of when the kernel buffer fills or times out.
    public var immediateMode: Bool
    /// The kernel read timeout (pcap_set_timeout), at least 1 ms. It also bounds how stale `statistics` are.
    public var bufferTimeout: Duration
    /// The kernel ring buffer size in bytes; `nil` keeps libpcap's default (2 MiB on Linux).
    public var kernelBufferSize: Int?
    /// Packets held for a slow consumer. When full the oldest is dropped (and counted), the capture never blocks.
    public var deliveryBufferSize: Int

    public init(interface: String = "any", filter: String? = nil, snapshotLength: Int = 262_144,
                promiscuous: Bool = false, immediateMode: Bool = true,
                bufferTimeout: Duration = .milliseconds(100), kernelBufferSize: Int? = nil,
                deliveryBufferSize: Int = 1024) {
        self.interface = interface
        self.filter = filter
        self.snapshotLength = snapshotLength
        self.promiscuous = promiscuous
        self.immediateMode = immediateMode
        self.bufferTimeout = bufferTimeout
        self.kernelBufferSize = kernelBufferSize
        self.deliveryBufferSize = deliveryBufferSize
    }
}

/// A captured packet, copied out of libpcap's buffer.
public struct Packet: Sendable, Equatable {
    public struct Timestamp: Sendable, Hashable {
        public var seconds: Int
        public var microseconds: Int

        public init(seconds: Int, microseconds: Int) {
            self.seconds = seconds
            self.microseconds = microseconds
        }
    }

    public var timestamp: Timestamp
    /// The captured bytes (at most the snapshot length).
    public var bytes: [UInt8]
    /// The packet's length on the wire.
    public var originalLength: Int

    public init(timestamp: Timestamp, bytes: [UInt8], originalLength: Int) {
        self.timestamp = timestamp
        self.bytes = bytes
        self.originalLength = originalLength
    }

    init(header: pcap_pkthdr, data: UnsafePointer<UInt8>) {
        self.init(timestamp: Timestamp(seconds: Int(header.ts.tv_sec), microseconds: Int(header.ts.tv_usec)),
                  bytes: Array(UnsafeBufferPointer(start: data, count: Int(header.caplen))),
                  originalLength: Int(header.len))
    }
}

/// A libpcap link-layer header type (DLT_* value).
public struct LinkType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// DLT_EN10MB.
    public static let ethernet = LinkType(rawValue: 1)
    /// DLT_LINUX_SLL, what the `any` interface delivers.
    public static let linuxCooked = LinkType(rawValue: 113)

    /// libpcap's name, e.g. `EN10MB`.
    public var description: String {
        pcap_datalink_val_to_name(rawValue).map { String(cString: $0) } ?? "DLT \(rawValue)"
    }
}

/// Counters of a live capture. Kernel counters come from pcap_stats, refreshed by the capture thread after
/// every read (so at most one buffer timeout old while running, exact once the capture has stopped).
public struct CaptureStatistics: Sendable, Equatable {
    /// Packets the kernel passed to the capture (pcap_stats `ps_recv`).
    public var received: UInt64 = 0
    /// Packets dropped because the kernel buffer was full (`ps_drop`).
    public var droppedByKernel: UInt64 = 0
    /// Packets dropped by the interface or its driver (`ps_ifdrop`).
    public var droppedByInterface: UInt64 = 0
    /// Packets copied out of libpcap by the capture thread.
    public var captured: UInt64 = 0
    /// Packets discarded because the consumer was slow and the delivery buffer was full.
    public var droppedByDeliveryBuffer: UInt64 = 0

    public init() {}
}
