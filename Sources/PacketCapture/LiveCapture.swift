import CPcap
import Foundation
import Synchronization

/// Runs `body` with a live capture opened from `configuration`, and always tears it down before returning:
/// when `body` returns, throws, or its task is cancelled, the capture loop is broken (pcap_breakloop), its
/// thread is awaited, and the handle is closed.
///
/// Iterate the capture (`for try await packet in capture`) to receive packets; iteration ends when the task
/// is cancelled, and throws `captureFailed` if libpcap fails while running. Iterate it once.
public func withLiveCapture<Result>(
    _ configuration: CaptureConfiguration = CaptureConfiguration(),
    isolation: isolated (any Actor)? = #isolation,
    _ body: (LiveCapture) async throws -> Result
) async throws -> Result {
    let capture = try LiveCapture(configuration)
    do {
        let result = try await withTaskCancellationHandler {
            try await body(capture)
        } onCancel: {
            capture.requestStop()
        }
        await capture.shutDown()
        return result
    } catch {
        await capture.shutDown()
        throw error
    }
}

/// An active capture on one interface. Packets are read on a dedicated thread (never on the Swift
/// cooperative pool) and delivered through a bounded buffer that drops the oldest when the consumer lags.
public final class LiveCapture: AsyncSequence, Sendable {
    public typealias Element = Packet

    public let configuration: CaptureConfiguration
    public let linkType: LinkType
    /// Warnings from pcap_activate (e.g. promiscuous mode not supported), empty when there were none.
    public let warnings: [String]

    private let handle: PcapHandle
    private let context: CaptureContext
    private let stream: AsyncThrowingStream<Packet, any Error>

    init(_ configuration: CaptureConfiguration) throws(CaptureError) {
        self.configuration = configuration
        (handle, warnings) = try openLive(configuration)
        linkType = LinkType(rawValue: pcap_datalink(handle.pointer))
        let (stream, continuation) = AsyncThrowingStream<Packet, any Error>.makeStream(
            bufferingPolicy: .bufferingNewest(Swift.max(1, configuration.deliveryBufferSize)))
        self.stream = stream
        context = CaptureContext(continuation: continuation)
        let thread = Thread { [handle, context] in context.run(handle) }
        thread.name = "pcap \(configuration.interface)"
        thread.start()
    }

    public func makeAsyncIterator() -> AsyncThrowingStream<Packet, any Error>.AsyncIterator {
        stream.makeAsyncIterator()
    }

    public var statistics: CaptureStatistics { context.statistics.withLock { $0 } }

    /// Whether the capture thread is still running; false once the scope of `withLiveCapture` has ended.
    public var isRunning: Bool { context.thread.withLock { !$0.finished } }

    /// Asks the capture thread to stop; safe from any thread, any number of times.
    func requestStop() {
        context.stopRequested.store(true, ordering: .sequentiallyConsistent)
        handle.breakLoop()
    }

    /// Stops the capture thread, waits until it has exited, then closes the handle.
    func shutDown() async {
        requestStop()
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let finished = context.thread.withLock { state in
                if !state.finished { state.waiters.append(waiter) }
                return state.finished
            }
            if finished { waiter.resume() }
        }
        handle.close()
    }
}

/// State shared between the capture thread, the C callback and the consumer.
final class CaptureContext: Sendable {
    struct ThreadState {
        var finished = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    let continuation: AsyncThrowingStream<Packet, any Error>.Continuation
    let stopRequested = Atomic(false)
    let statistics = Mutex(CaptureStatistics())
    let thread = Mutex(ThreadState())

    init(continuation: AsyncThrowingStream<Packet, any Error>.Continuation) {
        self.continuation = continuation
    }

    /// The capture thread's body: read until asked to stop or libpcap fails, then finish the stream and
    /// wake whoever waits for the thread. Nothing touches `handle` after that.
    func run(_ handle: PcapHandle) {
        let user = Unmanaged.passUnretained(self).toOpaque().assumingMemoryBound(to: UInt8.self)
        var failure: CaptureError?
        while !stopRequested.load(ordering: .sequentiallyConsistent) {
            // The callback cannot capture anything: the context travels through `user`.
            let status = pcap_dispatch(handle.pointer, -1, { user, header, data in
                guard let user, let header, let data else { return }
                Unmanaged<CaptureContext>.fromOpaque(UnsafeRawPointer(user)).takeUnretainedValue()
                    .deliver(Packet(header: header.pointee, data: data))
            }, user)
            refreshKernelStatistics(handle)
            if status < 0, status != PCAP_ERROR_BREAK {
                failure = CaptureError(.captureFailed, "capture loop stopped",
                                       cause: .init(handle.pointer, status: status))
                break
            }
        }
        continuation.finish(throwing: failure)
        let waiters = thread.withLock { state in
            state.finished = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    private func deliver(_ packet: Packet) {
        let dropped: Bool
        switch continuation.yield(packet) {
        case .dropped: dropped = true
        case .enqueued, .terminated: dropped = false
        @unknown default: dropped = false
        }
        statistics.withLock { stats in
            stats.captured += 1
            if dropped { stats.droppedByDeliveryBuffer += 1 }
        }
    }

    private func refreshKernelStatistics(_ handle: PcapHandle) {
        var kernel = pcap_stat()
        guard pcap_stats(handle.pointer, &kernel) == 0 else { return }
        statistics.withLock { stats in
            stats.received = UInt64(kernel.ps_recv)
            stats.droppedByKernel = UInt64(kernel.ps_drop)
            stats.droppedByInterface = UInt64(kernel.ps_ifdrop)
        }
    }
}

/// pcap_create → options → pcap_activate → filter. Returns the activated handle and activation warnings.
private func openLive(_ configuration: CaptureConfiguration) throws(CaptureError) -> (PcapHandle, [String]) {
    let (created, errorText) = withErrorBuffer { pcap_create(configuration.interface, $0) }
    guard let created else {
        throw CaptureError(.activationFailed, "cannot create a capture on \(configuration.interface)",
                           cause: .init(status: nil, text: errorText))
    }
    let handle = PcapHandle(created)
    let p = handle.pointer
    let timeout = configuration.bufferTimeout.components
    let milliseconds = timeout.seconds * 1000 + timeout.attoseconds / 1_000_000_000_000_000
    // These only fail on an activated handle, which this one is not yet.
    _ = pcap_set_snaplen(p, Int32(clamping: configuration.snapshotLength))
    _ = pcap_set_promisc(p, configuration.promiscuous ? 1 : 0)
    _ = pcap_set_timeout(p, Int32(clamping: max(1, milliseconds)))
    _ = pcap_set_immediate_mode(p, configuration.immediateMode ? 1 : 0)
    if let size = configuration.kernelBufferSize { _ = pcap_set_buffer_size(p, Int32(clamping: size)) }

    let status = pcap_activate(p)
    var warnings: [String] = []
    if status < 0 {
        let code: CaptureError.Code = switch status {
        case PCAP_ERROR_NO_SUCH_DEVICE: .noSuchDevice
        case PCAP_ERROR_PERM_DENIED, PCAP_ERROR_PROMISC_PERM_DENIED: .permissionDenied
        case PCAP_ERROR_IFACE_NOT_UP: .interfaceDown
        default: .activationFailed
        }
        let detail = String(cString: pcap_statustostr(status))
        throw CaptureError(code, "cannot capture on \(configuration.interface): \(detail)",
                           cause: .init(p, status: status))
    } else if status > 0 {
        warnings.append("\(String(cString: pcap_statustostr(status))): \(String(cString: pcap_geterr(p)))")
    }

    if let filter = configuration.filter {
        var program = bpf_program()
        let compiled = pcap_compile(p, &program, filter, 1, PCAP_NETMASK_UNKNOWN)
        guard compiled == 0 else {
            throw CaptureError(.badFilter, "filter \"\(filter)\" does not compile", cause: .init(p, status: compiled))
        }
        defer { pcap_freecode(&program) }
        let installed = pcap_setfilter(p, &program)
        guard installed == 0 else {
            throw CaptureError(.badFilter, "filter \"\(filter)\" cannot be installed",
                               cause: .init(p, status: installed))
        }
    }
    return (handle, warnings)
}
