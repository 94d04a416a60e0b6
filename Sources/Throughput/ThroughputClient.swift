import Foundation
import ReadinessModel

#if canImport(Glibc)
import Glibc
import SystemSupport
#endif

/// A TCP throughput test against a stock iperf3 server (3.12 and later), speaking its protocol natively.
///
/// Everything blocking runs on dedicated threads: the control connection on one, each data stream on its own.
public struct ThroughputClient: Sendable {
    public init() {}

    /// After the duration, how long at most the senders' queued bytes are given to reach the server while it still
    /// counts (part of the test's measured seconds: the bytes that arrive then are counted too).
    static let drainLimitSeconds = 1.0

    /// Runs one test; retries a busy server within `busyRetrySeconds` with exponential backoff and jitter.
    public func run(_ configuration: ThroughputConfiguration) async throws(ThroughputError) -> ThroughputResult {
        try await BlockingPool.shared.run {
            Result { () throws(ThroughputError) in try Self.runBlocking(configuration) }
        }.get()
    }

    /// The same, on the calling thread (which must not be one of Swift concurrency's).
    public static func runBlocking(_ configuration: ThroughputConfiguration) throws(ThroughputError) -> ThroughputResult {
        try configuration.validate()
        let retryDeadline = monotonicNow() + configuration.busyRetrySeconds
        var attempts = 0
        while true {
            do throws(ThroughputError) {
                let run = TestRun(configuration)
                do throws(ThroughputError) {
                    var result = try run.run()
                    result.busyRetries = attempts
                    return result
                } catch {
                    var error = error
                    error.bytesMoved += run.bytesMoved
                    throw error
                }
            } catch where error.code == .serverBusy {
                let remaining = retryDeadline - monotonicNow()
                guard remaining > 0 else {
                    var error = error
                    if attempts > 0 { error.message += " (after \(attempts + 1) tries)" }
                    throw error
                }
                attempts += 1
                let backoff = Backoff(initial: .milliseconds(250), maximum: .seconds(30), jitter: 0.5...1.5)
                    .delay(afterFailures: attempts - 1).inSeconds
                usleep(UInt32(min(backoff, remaining) * 1_000_000))
            }
        }
    }
}

/// One attempt: the control connection, the streams, the results exchange.
private final class TestRun {
    let configuration: ThroughputConfiguration
    var control: TCPSocket?
    var workers: [StreamWorker] = []
    let cookie: [UInt8]

    init(_ configuration: ThroughputConfiguration) {
        self.configuration = configuration
        var generator = SystemRandomNumberGenerator()
        cookie = Wire.makeCookie(using: &generator)
    }

    deinit {
        for worker in workers { worker.requestStop() }
        for worker in workers { worker.join(within: 1) }
        for worker in workers { worker.socket.close() }
        control?.close()
    }

    var deadline: Double { monotonicNow() + configuration.timeoutSeconds }
    /// What the streams have sent and received so far.
    var bytesMoved: UInt64 { workers.reduce(0) { $0 &+ $1.bytes.load(ordering: .relaxed) } }
    var server: String { configuration.host.contains(":") ? "[\(configuration.host)]:\(configuration.port)" : "\(configuration.host):\(configuration.port)" }

    func run() throws(ThroughputError) -> ThroughputResult {
        let c = configuration
        let control = try TCPSocket.connect(host: c.host, port: c.port, timeout: c.timeoutSeconds)
        self.control = control
        control.setInt(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        try control.sendAll(cookie, deadline: deadline, phase: "sending the cookie")
        try expect(.paramExchange, "waiting for the parameter exchange")
        try control.sendAll(Wire.frame(Wire.parameters(c)), deadline: deadline, phase: "sending the parameters")
        try expect(.createStreams, "waiting for the server to accept the parameters")

        // Bidirectional: the sending streams first, then the receiving ones.
        let directions: [ThroughputDirection] = switch c.mode {
        case .forward: Array(repeating: .upload, count: c.parallel)
        case .reverse: Array(repeating: .download, count: c.parallel)
        case .bidirectional: Array(repeating: .upload, count: c.parallel) + Array(repeating: .download, count: c.parallel)
        }
        for (index, direction) in directions.enumerated() {
            let socket = try TCPSocket.connect(host: c.host, port: c.port, timeout: c.timeoutSeconds) { fd in
                if let window = c.window {
                    var value = Int32(clamping: window)
                    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &value, socklen_t(MemoryLayout<Int32>.size))
                    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &value, socklen_t(MemoryLayout<Int32>.size))
                }
                if let mss = c.mss {
                    var value = Int32(mss)
                    setsockopt(fd, Int32(IPPROTO_TCP), TCP_MAXSEG, &value, socklen_t(MemoryLayout<Int32>.size))
                }
            }
            if c.noDelay { socket.setInt(Int32(IPPROTO_TCP), TCP_NODELAY, 1) }
            try socket.sendAll(cookie, deadline: deadline, phase: "opening stream \(index + 1)")
            workers.append(StreamWorker(id: Wire.streamID(index: index), direction: direction, socket: socket,
                                        blockLength: c.blockLength, rateLimitBitsPerSecond: c.rateLimitBitsPerSecond))
        }
        try expect(.testStart, "waiting for the test to start")
        try expect(.testRunning, "waiting for the test to run")

        let startedAt = Date()
        let cpuStart = processCPU()
        for worker in workers { worker.start() }
        let measured = try measure(control)

        // Stop our senders, then tell the server (it counts until TEST_END arrives).
        for worker in workers where worker.direction == .upload { worker.requestStop() }
        for worker in workers where worker.direction == .upload { worker.join(within: 2) }
        // Let what is queued reach the server while it still counts: the sender's total then matches the receiver's.
        let drainUntil = monotonicNow() + min(ThroughputClient.drainLimitSeconds, c.timeoutSeconds)
        while monotonicNow() < drainUntil,
              workers.contains(where: { $0.direction == .upload && ($0.socket.unacknowledgedBytes() ?? 0) > 0 }) {
            usleep(1_000)
        }
        let finalSample = sample(measured.state, now: monotonicNow(), start: measured.start)
        var intervals = measured.intervals
        if let finalSample, finalSample.end - finalSample.start > 0.01 { intervals.append(finalSample) }
        let testEnd = monotonicNow()
        let seconds = max(testEnd - measured.measureStart, 0.001)
        try control.sendAll([UInt8(WireState.testEnd.rawValue)], deadline: deadline, phase: "ending the test")

        // The receivers keep draining until the server closes the streams (closing early makes 3.12 abort).
        try expect(.exchangeResults, "waiting for the results exchange", closed: .resetMidTest)
        let drainDeadline = monotonicNow() + 0.5
        for worker in workers where worker.direction == .download {
            while !worker.reachedEnd.load(ordering: .relaxed), !worker.finished.load(ordering: .acquiring),
                  monotonicNow() < drainDeadline { usleep(2_000) }
        }
        let cpuEnd = processCPU()
        let wall = max(testEnd - measured.start, 0.001)
        let local = CPUUsage(total: (cpuEnd.user + cpuEnd.system - cpuStart.user - cpuStart.system) / wall * 100,
                             user: (cpuEnd.user - cpuStart.user) / wall * 100,
                             system: (cpuEnd.system - cpuStart.system) / wall * 100)

        var ours: [Wire.Results.Stream] = []
        var streams: [StreamResult] = []
        for (index, worker) in workers.enumerated() {
            let bytes = worker.bytes.load(ordering: .relaxed) &- measured.state.omitBase[index]
            var retransmits: Int64?
            if worker.direction == .upload, let total = worker.socket.totalRetransmits() {
                retransmits = Int64(total) - Int64(measured.state.retransmitBase[index] ?? 0)
            }
            ours.append(.init(id: worker.id, bytes: bytes, retransmits: retransmits ?? -1, startTime: 0, endTime: seconds))
            streams.append(StreamResult(id: worker.id, direction: worker.direction, bytes: bytes, retransmits: retransmits))
        }
        let hasSender = workers.contains { $0.direction == .upload }
        let results = Wire.Results(cpuUtilTotal: local.total, cpuUtilUser: local.user, cpuUtilSystem: local.system,
                                   senderHasRetransmits: hasSender ? 1 : 0, streams: ours)
        try control.sendAll(Wire.frame(Wire.encode(results)), deadline: deadline, phase: "sending our results")
        let header = try control.receiveExact(4, deadline: deadline, phase: "reading the server's results", closedCode: .resetMidTest)
        let length = Wire.length(header)
        guard length > 0, length <= 4 << 20 else {
            throw ThroughputError(.protocolViolation, "the server's results are \(length) bytes long")
        }
        let body = try control.receiveExact(length, deadline: deadline, phase: "reading the server's results", closedCode: .resetMidTest)
        let theirs: Wire.Results
        do {
            theirs = try JSONDecoder().decode(Wire.Results.self, from: Data(body))
        } catch {
            throw ThroughputError(.protocolViolation, "the server's results are not valid JSON", cause: "\(error)")
        }
        try expect(.displayResults, "waiting for the server to finish", closed: .resetMidTest)
        for worker in workers { worker.requestStop() }
        for worker in workers { worker.join(within: 1) }
        for worker in workers { worker.socket.close() }
        try? control.sendAll([UInt8(bitPattern: WireState.iperfDone.rawValue)], deadline: deadline, phase: "closing")
        control.close()

        for index in streams.indices {
            guard let remote = theirs.streams.first(where: { $0.id == streams[index].id }) else { continue }
            streams[index].serverBytes = remote.bytes
            if streams[index].direction == .download, remote.retransmits >= 0 { streams[index].retransmits = remote.retransmits }
        }
        func summary(_ direction: ThroughputDirection) -> DirectionSummary? {
            let selected = streams.filter { $0.direction == direction }
            guard !selected.isEmpty else { return nil }
            let ourBytes = selected.reduce(UInt64(0)) { $0 + $1.bytes }
            let theirBytes = selected.reduce(UInt64(0)) { $0 + ($1.serverBytes ?? $1.bytes) }
            let retransmits = selected.allSatisfy { $0.retransmits != nil } ? selected.reduce(Int64(0)) { $0 + ($1.retransmits ?? 0) } : nil
            return direction == .upload
                ? DirectionSummary(seconds: seconds, senderBytes: ourBytes, receiverBytes: theirBytes, retransmits: retransmits)
                : DirectionSummary(seconds: seconds, senderBytes: theirBytes, receiverBytes: ourBytes, retransmits: retransmits)
        }
        return ThroughputResult(
            server: server, startedAt: startedAt, mode: c.mode, parallel: c.parallel, blockLength: c.blockLength,
            omitSeconds: c.omitSeconds, seconds: seconds, streams: streams, intervals: intervals,
            upload: summary(.upload), download: summary(.download), localCPU: local,
            remoteCPU: CPUUsage(total: theirs.cpuUtilTotal, user: theirs.cpuUtilUser, system: theirs.cpuUtilSystem),
            busyRetries: 0)
    }

    // MARK: - The running test

    struct SamplingState {
        var lastTime: Double
        var lastBytes: [UInt64]
        var lastRetransmits: [UInt32?]
        var omitBase: [UInt64]
        var retransmitBase: [UInt32?]
        var omitEnd: Double
        var omitDone: Bool
    }

    struct Measured {
        var start: Double
        var measureStart: Double
        var intervals: [IntervalSample]
        var state: SamplingState
    }

    /// Samples every interval until the duration (plus omitted seconds) is over, watching the control
    /// connection and the streams for failures.
    func measure(_ control: TCPSocket) throws(ThroughputError) -> Measured {
        let c = configuration
        let start = monotonicNow()
        let retransmits = workers.map { $0.direction == .upload ? $0.socket.totalRetransmits() : nil }
        var state = SamplingState(
            lastTime: start, lastBytes: Array(repeating: 0, count: workers.count), lastRetransmits: retransmits,
            omitBase: Array(repeating: 0, count: workers.count), retransmitBase: retransmits,
            omitEnd: start + Double(c.omitSeconds), omitDone: c.omitSeconds == 0)
        var measureStart = start
        let end = start + Double(c.omitSeconds + c.durationSeconds)
        var nextTick = start + c.intervalSeconds
        var intervals: [IntervalSample] = []
        while true {
            let wake = min(nextTick, end)
            if control.waitReadable(until: wake) {
                try serverSpokeDuringTest(control)
            }
            if let failed = workers.first(where: { $0.failure.withLock { $0 } != nil }) {
                let cause = failed.failure.withLock { $0 }
                throw ThroughputError(.resetMidTest, "stream \(failed.id) was cut during the test", cause: cause)
            }
            let now = monotonicNow()
            if now >= end { break }
            if now >= nextTick {
                if let sample = sample(&state, now: now, start: start) { intervals.append(sample) }
                if !state.omitDone, now >= state.omitEnd - 0.001 {
                    state.omitDone = true
                    state.omitBase = state.lastBytes
                    state.retransmitBase = state.lastRetransmits
                    measureStart = now
                }
                nextTick += c.intervalSeconds
            }
        }
        if !state.omitDone {
            _ = sample(&state, now: monotonicNow(), start: start)
            state.omitBase = state.lastBytes
            measureStart = monotonicNow()
        }
        return Measured(start: start, measureStart: measureStart, intervals: intervals, state: state)
    }

    private func sample(_ state: SamplingState, now: Double, start: Double) -> IntervalSample? {
        var copy = state
        return sample(&copy, now: now, start: start)
    }

    private func sample(_ state: inout SamplingState, now: Double, start: Double) -> IntervalSample? {
        var byStream: [Int: UInt64] = [:]
        var upload: UInt64 = 0
        var download: UInt64 = 0
        var retransmits: Int64?
        for (index, worker) in workers.enumerated() {
            let bytes = worker.bytes.load(ordering: .relaxed)
            let delta = bytes &- state.lastBytes[index]
            state.lastBytes[index] = bytes
            byStream[worker.id] = delta
            if worker.direction == .upload {
                upload += delta
                if let total = worker.socket.totalRetransmits() {
                    retransmits = (retransmits ?? 0) + Int64(total) - Int64(state.lastRetransmits[index] ?? 0)
                    state.lastRetransmits[index] = total
                }
            } else {
                download += delta
            }
        }
        defer { state.lastTime = now }
        return IntervalSample(start: state.lastTime - start, end: now - start, omitted: !state.omitDone,
                              bytesByStream: byStream, uploadBytes: upload, downloadBytes: download, retransmits: retransmits)
    }

    /// The control connection became readable while the test runs: the server is ending it.
    private func serverSpokeDuringTest(_ control: TCPSocket) throws(ThroughputError) {
        var byte: UInt8 = 0
        let n = recv(control.fd, &byte, 1, Int32(MSG_DONTWAIT))
        if n < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return }
        if n <= 0 {
            throw ThroughputError(.resetMidTest, "the server closed the control connection during the test",
                                  cause: n == 0 ? "closed by the server" : String(cString: strerror(errno)))
        }
        try interpret(Int8(bitPattern: byte), phase: "during the test")
        throw ThroughputError(.protocolViolation, "the server sent state \(Int8(bitPattern: byte)) during the test")
    }

    // MARK: - Control states

    private func expect(_ state: WireState, _ phase: String, closed: ThroughputError.Code = .serverError) throws(ThroughputError) {
        guard let control else { return }
        let byte = Int8(bitPattern: try control.receiveExact(1, deadline: deadline, phase: phase, closedCode: closed)[0])
        try interpret(byte, phase: phase)
        guard byte == state.rawValue else {
            throw ThroughputError(.protocolViolation, "the server sent state \(byte) while \(phase) (expected \(state.rawValue))")
        }
    }

    /// Throws for the states that end a test early.
    private func interpret(_ byte: Int8, phase: String) throws(ThroughputError) {
        switch WireState(rawValue: byte) {
        case .accessDenied?:
            throw ThroughputError(.serverBusy, "the server at \(server) is busy with another test", cause: "ACCESS_DENIED")
        case .serverError?:
            var cause = "SERVER_ERROR"
            if let control, let codes = try? control.receiveExact(8, deadline: monotonicNow() + 0.5, phase: phase, closedCode: .serverError) {
                let code = Int32(bitPattern: UInt32(Wire.length(Array(codes[0..<4]))))
                let errnoValue = Int32(bitPattern: UInt32(Wire.length(Array(codes[4..<8]))))
                cause = "iperf3 error \(code)" + (errnoValue != 0 ? ", \(String(cString: strerror(errnoValue)))" : "")
            }
            throw ThroughputError(.serverError, "the server reported an error \(phase)", cause: cause)
        case .serverTerminate?:
            throw ThroughputError(.serverError, "the server terminated the test \(phase)", cause: "SERVER_TERMINATE")
        default:
            return
        }
    }
}

private func processCPU() -> (user: Double, system: Double) {
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    return (Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6,
            Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6)
}
