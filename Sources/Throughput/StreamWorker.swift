import CTCPInfo
import Foundation
import ReadinessModel
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One data stream on its own thread: a tight loop of `send` (or `recv`) on one reused buffer, a relaxed atomic
/// byte counter that the control thread samples, and a stop flag it looks at between calls (the socket's I/O
/// timeout bounds how long a call can block).
final class StreamWorker: Sendable {
    let id: Int
    let direction: ThroughputDirection
    let socket: TCPSocket
    let bytes = Atomic<UInt64>(0)
    let stopRequested = Atomic<Bool>(false)
    let finished = Atomic<Bool>(false)
    /// The peer closed the stream (receiving side).
    let reachedEnd = Atomic<Bool>(false)
    let failure = Mutex<String?>(nil)
    private let done = DispatchSemaphore(value: 0)
    private let blockLength: Int
    private let bytesPerSecond: Double?

    init(id: Int, direction: ThroughputDirection, socket: TCPSocket, blockLength: Int, rateLimitBitsPerSecond: UInt64?) {
        self.id = id
        self.direction = direction
        self.socket = socket
        self.blockLength = blockLength
        bytesPerSecond = rateLimitBitsPerSecond.map { Double($0) / 8 }
        socket.setIOTimeout(0.2)
    }

    func start() {
        let thread = Thread { [self] in
            if direction == .upload { sendLoop() } else { receiveLoop() }
            finished.store(true, ordering: .releasing)
            done.signal()
        }
        thread.name = "throughput-stream-\(id)"
        thread.start()
    }

    func requestStop() { stopRequested.store(true, ordering: .relaxed) }

    /// Waits for the thread to leave its loop, at most `seconds`.
    @discardableResult
    func join(within seconds: Double) -> Bool {
        if finished.load(ordering: .acquiring) { return true }
        let ok = done.wait(timeout: .now() + seconds) == .success
        if ok { done.signal() }  // later joins return at once
        return ok
    }

    private func record(_ error: Int32) {
        let text = String(cString: strerror(error))
        failure.withLock { if $0 == nil { $0 = text } }
    }

    private func sendLoop() {
        let length = blockLength
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: length, alignment: 64)
        defer { buffer.deallocate() }
        // Random content, like iperf3, so that compression on the path gains nothing (xorshift: cheap).
        var state = UInt64.random(in: 1...UInt64.max)
        let words = length / 8
        let wordPointer = buffer.bindMemory(to: UInt64.self, capacity: words)
        for i in 0..<words {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            wordPointer[i] = state
        }
        let tail = buffer.advanced(by: words * 8).bindMemory(to: UInt8.self, capacity: length - words * 8)
        for i in 0..<(length - words * 8) { tail[i] = UInt8(truncatingIfNeeded: state >> (i * 8)) }
        let fd = socket.fd
        let start = monotonicNow()
        var sent: UInt64 = 0
        while !stopRequested.load(ordering: .relaxed) {
            if let bytesPerSecond {
                let due = Double(sent) / bytesPerSecond - (monotonicNow() - start)
                if due > 0 {
                    usleep(UInt32(min(due, 0.05) * 1_000_000))
                    continue
                }
            }
            let n = send(fd, buffer, length, sansang_msg_nosignal())
            if n > 0 {
                sent &+= UInt64(n)
                bytes.add(UInt64(n), ordering: .relaxed)
            } else if n < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                continue
            } else {
                record(n == 0 ? EPIPE : errno)
                return
            }
        }
    }

    private func receiveLoop() {
        let length = max(blockLength, 128 * 1024)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: length, alignment: 64)
        defer { buffer.deallocate() }
        let fd = socket.fd
        while true {
            let n = recv(fd, buffer, length, 0)
            if n > 0 {
                bytes.add(UInt64(n), ordering: .relaxed)
            } else if n == 0 {
                reachedEnd.store(true, ordering: .relaxed)
                return
            } else if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                if stopRequested.load(ordering: .relaxed) { return }
            } else {
                if !stopRequested.load(ordering: .relaxed) { record(errno) }
                return
            }
        }
    }
}
