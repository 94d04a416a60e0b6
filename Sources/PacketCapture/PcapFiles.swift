import CPcap
import Foundation

/// The contents of a .pcap (or .pcapng) file.
public struct PcapFile: Sendable, Equatable {
    public var linkType: LinkType
    public var snapshotLength: Int
    public var packets: [Packet]
}

/// Reads a whole capture file with pcap_open_offline. Needs no privileges.
public func readPcapFile(_ url: URL) throws(CaptureError) -> PcapFile {
    let (opened, errorText) = withErrorBuffer { pcap_open_offline(url.path, $0) }
    guard let opened else {
        throw CaptureError(.fileOpenFailed, "cannot open \(url.path)", cause: .init(status: nil, text: errorText))
    }
    let handle = PcapHandle(opened)
    defer { handle.close() }
    var file = PcapFile(linkType: LinkType(rawValue: pcap_datalink(opened)),
                        snapshotLength: Int(pcap_snapshot(opened)), packets: [])
    var header: UnsafeMutablePointer<pcap_pkthdr>?
    var data: UnsafePointer<UInt8>?
    while true {
        let status = pcap_next_ex(opened, &header, &data)
        switch status {
        case 1:
            guard let header, let data else { continue }
            file.packets.append(Packet(header: header.pointee, data: data))
        case PCAP_ERROR_BREAK:   // end of file
            return file
        default:
            throw CaptureError(.readFailed, "cannot read \(url.path) after \(file.packets.count) packets",
                               cause: .init(opened, status: status))
        }
    }
}

/// Writes packets to a classic .pcap file (pcap_open_dead + pcap_dump_open). Owns both handles and
/// closes them exactly once. Not thread-safe: use it from one task. Prefer `withPcapWriter`.
public final class PcapWriter {
    public let url: URL
    public let linkType: LinkType
    private let dead: PcapHandle
    private var dumper: OpaquePointer?

    public init(url: URL, linkType: LinkType, snapshotLength: Int = 262_144) throws(CaptureError) {
        guard let opened = pcap_open_dead(linkType.rawValue, Int32(clamping: snapshotLength)) else {
            throw CaptureError(.fileOpenFailed, "pcap_open_dead failed for link type \(linkType.rawValue)")
        }
        dead = PcapHandle(opened)
        guard let dumper = pcap_dump_open(opened, url.path) else {
            throw CaptureError(.fileOpenFailed, "cannot create \(url.path)", cause: .init(opened, status: nil))
        }
        self.url = url
        self.linkType = linkType
        self.dumper = dumper
    }

    /// Appends a packet with its own timestamp and original length.
    public func write(_ packet: Packet) throws(CaptureError) {
        guard let dumper else { throw CaptureError(.writeFailed, "\(url.path) is already closed") }
        var header = pcap_pkthdr()
        header.ts.tv_sec = packet.timestamp.seconds
        header.ts.tv_usec = packet.timestamp.microseconds
        header.caplen = UInt32(clamping: packet.bytes.count)
        header.len = UInt32(clamping: packet.originalLength)
        packet.bytes.withUnsafeBufferPointer { bytes in
            pcap_dump(UnsafeMutablePointer<UInt8>(dumper), &header, bytes.baseAddress)
        }
    }

    /// Flushes buffered packets to the file; this is where write errors (disk full…) surface.
    public func flush() throws(CaptureError) {
        guard let dumper else { throw CaptureError(.writeFailed, "\(url.path) is already closed") }
        guard pcap_dump_flush(dumper) == 0 else {
            throw CaptureError(.writeFailed, "cannot flush \(url.path)",
                               cause: .init(status: nil, text: String(cString: strerror(errno))))
        }
    }

    /// Flushes and closes the file; later writes throw `writeFailed`.
    public func close() {
        if let dumper { pcap_dump_close(dumper) }
        dumper = nil
        dead.close()
    }

    deinit { close() }
}

/// Runs `body` with a writer for `url`, then flushes (reporting write errors) and closes it, whatever happens.
public func withPcapWriter<Result>(
    to url: URL, linkType: LinkType, snapshotLength: Int = 262_144,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (PcapWriter) async throws -> Result
) async throws -> Result {
    let writer = try PcapWriter(url: url, linkType: linkType, snapshotLength: snapshotLength)
    defer { writer.close() }
    let result = try await body(writer)
    try writer.flush()
    return result
}
