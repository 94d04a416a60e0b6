/// Why a frame could not be decoded as an LLDPDU. `offset` is the byte offset in the Ethernet frame.
public struct LLDPDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// The frame ends before the Ethernet header, or before an End of LLDPDU TLV.
        case truncatedFrame
        /// The ethertype (after at most one 802.1Q tag) is not 0x88cc.
        case notLLDP
        /// A TLV's declared length runs past the end of the frame.
        case truncatedTLV
        /// Chassis ID, Port ID and TTL must be the first three TLVs, in that order.
        case missingMandatoryTLV
        /// A TLV's length is not allowed for its type (e.g. a TTL that is not 2 bytes).
        case badTLVLength
        /// A TLV that may appear once appears again.
        case duplicateTLV
    }

    public let code: Code
    public let message: String
    public let offset: Int

    public init(_ code: Code, _ message: String, offset: Int) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    public var description: String { "\(code.rawValue) at offset \(offset): \(message)" }
}
