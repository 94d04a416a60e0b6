// libFuzzer entry for the LLDP frame decoder, built by `make fuzz` together with Sources/LLDP (see docs/reliability.md).
// Every input must decode or be refused with an LLDPDecodingError whose offset lies inside the frame; a crash, a
// trap or an out-of-range offset is a finding (libFuzzer keeps the input under .build/fuzz/).
@_cdecl("LLVMFuzzerTestOneInput")
public func lldpFrameFuzzTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let frame = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        _ = try LLDPDU(frame: frame)
    } catch {
        precondition(error.offset >= 0 && error.offset <= frame.count && !error.message.isEmpty, "\(error)")
    }
    return 0
}
