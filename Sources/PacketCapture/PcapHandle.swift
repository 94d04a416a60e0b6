import CPcap
import Synchronization

/// The single owner of a `pcap_t *`: closed exactly once, by `close()` or at the latest by `deinit`.
/// Only `breakLoop` may be called from another thread while the capture thread uses `pointer`.
final class PcapHandle: Sendable {
    // `nonisolated(unsafe)`: an immutable C pointer; the rules of use are the class comment above.
    nonisolated(unsafe) let pointer: OpaquePointer
    private let closed = Mutex(false)

    init(_ pointer: OpaquePointer) { self.pointer = pointer }

    /// pcap_breakloop, unless already closed (it is safe to call from any thread).
    func breakLoop() {
        closed.withLock { closed in if !closed { pcap_breakloop(pointer) } }
    }

    func close() {
        closed.withLock { closed in
            if !closed { pcap_close(pointer) }
            closed = true
        }
    }

    deinit { close() }
}

/// A buffer of PCAP_ERRBUF_SIZE for the libpcap calls that report errors through one.
func withErrorBuffer<T>(_ body: (UnsafeMutablePointer<CChar>) -> T) -> (T, String) {
    var buffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
    let result = buffer.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    return (result, String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
}
