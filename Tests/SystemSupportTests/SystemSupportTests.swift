import Foundation
import Synchronization
import SystemSupport
import Testing

/// One row of the backoff table: the settings, the failures so far and the jitter position, and the wait.
struct BackoffRow: Sendable, CustomTestStringConvertible {
    var initial, maximum: Double
    var jitter: ClosedRange<Double>
    var failures: Int
    var fraction, expected: Double
    var testDescription: String { "\(initial)s..\(maximum)s \(jitter) after \(failures) at \(fraction) → \(expected)s" }
}

@Suite struct BackoffTests {
    static let table: [BackoffRow] = [
        BackoffRow(initial: 1, maximum: 300, jitter: 0...1, failures: 0, fraction: 1, expected: 1),       // the initial delay
        BackoffRow(initial: 1, maximum: 300, jitter: 0...1, failures: 3, fraction: 1, expected: 8),       // doubles per failure
        BackoffRow(initial: 1, maximum: 300, jitter: 0...1, failures: 3, fraction: 0.5, expected: 4),     // full jitter: half
        BackoffRow(initial: 1, maximum: 300, jitter: 0...1, failures: 3, fraction: 0, expected: 0),       // full jitter: zero
        BackoffRow(initial: 1, maximum: 300, jitter: 0...1, failures: 9, fraction: 1, expected: 300),     // capped: 512 > 300
        BackoffRow(initial: 1, maximum: 300, jitter: 0...1, failures: 500, fraction: 1, expected: 300),   // no overflow
        BackoffRow(initial: 30, maximum: 3600, jitter: 0.5...1, failures: 2, fraction: 0, expected: 60),  // alert delivery
        BackoffRow(initial: 30, maximum: 3600, jitter: 0.5...1, failures: 2, fraction: 1, expected: 120),
        BackoffRow(initial: 0.25, maximum: 30, jitter: 0.5...1.5, failures: 10, fraction: 1, expected: 45), // past the cap by half
        BackoffRow(initial: 2, maximum: 300, jitter: 0...1, failures: -1, fraction: 1, expected: 2),      // negative: the first
        BackoffRow(initial: 2, maximum: 300, jitter: 0...1, failures: 1, fraction: 7, expected: 4),       // fraction clamped to 1
    ]

    @Test(arguments: BackoffTests.table)
    func delayFollowsTheTable(_ row: BackoffRow) {
        let backoff = Backoff(initial: .seconds(row.initial), maximum: .seconds(row.maximum), jitter: row.jitter)
        #expect(backoff.delay(afterFailures: row.failures, fraction: row.fraction) == .seconds(row.expected))
    }

    @Test func nextCountsAttemptsAndResetStartsOver() {
        var backoff = Backoff(initial: .seconds(1), maximum: .seconds(10))
        #expect([backoff.next(fraction: 1), backoff.next(fraction: 1), backoff.next(fraction: 1)] == [.seconds(1), .seconds(2), .seconds(4)])
        #expect(backoff.attempt == 3)
        backoff.reset()
        #expect(backoff.next(fraction: 1) == .seconds(1))
    }

    @Test func randomWaitsStayWithinTheJitterRange() {
        let backoff = Backoff(initial: .seconds(1), maximum: .seconds(100), jitter: 0.5...1)
        for _ in 0..<200 {
            let wait = backoff.delay(afterFailures: 4)
            #expect(wait >= .seconds(8) && wait <= .seconds(16))
        }
    }
}

@Suite struct DurationValuesTests {
    @Test func conversions() {
        #expect(Duration.milliseconds(1500).inSeconds == 1.5)
        #expect(Duration.microseconds(1234567).inMilliseconds == 1234.567)
        #expect(Duration.nanoseconds(1_000_000_123).inNanoseconds == 1_000_000_123)
        #expect(2.71828.rounded(toPlaces: 2) == 2.72)
    }
}

@Suite struct BlockingPoolTests {
    @Test func runsOffTheCallerAndReturnsTheValue() async {
        let pool = BlockingPool(name: "test-pool", maximumThreads: 2)
        let name = await pool.run { BlockingPool.currentName }
        #expect(name == "test-pool")
        #expect(BlockingPool.currentName == nil)
        #expect(await pool.run { 6 * 7 } == 42)
        pool.finish()
    }

    final class Gauge: Sendable {
        let state = Mutex((now: 0, most: 0))
    }

    @Test func neverRunsMoreThanItsThreadsAtOnce() async {
        let pool = BlockingPool(name: "test-bounded", maximumThreads: 3)
        let running = Gauge()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<12 {
                group.addTask {
                    await pool.run {
                        running.state.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
                        usleep(20_000)
                        running.state.withLock { $0.now -= 1 }
                    }
                }
            }
        }
        #expect(running.state.withLock { $0.most } == 3)
        pool.finish()
    }

    @Test func oneThreadRunsJobsInOrder() async {
        let pool = BlockingPool(name: "test-serial")
        final class Order: Sendable { let seen = Mutex([Int]()) }
        let order = Order()
        for index in 0..<20 { pool.submit { order.seen.withLock { $0.append(index) } } }
        await pool.run {}
        #expect(order.seen.withLock { $0 } == Array(0..<20))
        pool.finish()
    }

    @Test func aFinishedPoolRunsNothing() async {
        let pool = BlockingPool(name: "test-finished")
        pool.finish()
        let ran = await pool.runIfOpen { true }
        #expect(ran == nil)
    }
}

@Suite struct DeadlineTests {
    @Test func returnsTheValueInTime() async {
        #expect(await withDeadline(.seconds(5)) { 42 } == 42)
    }

    @Test func givesUpAtTheDeadlineAndCancelsTheOperation() async {
        let started = ContinuousClock.now
        let value: Bool? = await withDeadline(.milliseconds(100)) {
            (try? await Task.sleep(for: .seconds(30))) == nil
        }
        #expect(value == nil)
        #expect(ContinuousClock.now - started < .seconds(20), "far less than the 30 s the operation would take")
    }
}

@Suite struct DurableFileTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("durable-\(UUID().uuidString)")
        try DurableFile.createDirectory(directory)
    }

    @Test func replaceWritesTheWholeFileAndLeavesNoTemporary() async throws {
        let file = directory.appendingPathComponent("state.json")
        try DurableFile.replace(file, with: Data("one".utf8))
        try await DurableFile.replaceOffPool(file, with: Data("two".utf8))
        #expect(try DurableFile.read(file) == Data("two".utf8))
        #expect(try DurableFile.names(in: directory) == ["state.json"])
        try FileManager.default.removeItem(at: directory)
    }

    @Test func aWriteIntoAMissingDirectoryFailsWithItsCode() throws {
        let missing = directory.appendingPathComponent("missing/file")
        #expect(throws: FileOperationError.self) { try DurableFile.replace(missing, with: Data()) }
        do {
            try DurableFile.replace(missing, with: Data())
        } catch {
            #expect(error.code == .create)
            #expect(error.message.contains("missing"))
        }
        try FileManager.default.removeItem(at: directory)
    }

    @Test func aSecondLockOnTheSameFileIsRefused() throws {
        let lock = directory.appendingPathComponent("lock")
        let held = try DurableFile.lock(lock, inUse: "in use")
        defer { close(held) }
        do {
            _ = try DurableFile.lock(lock, inUse: "in use by another test")
            Issue.record("the second lock was granted")
        } catch {
            #expect(error.code == .lock)
            #expect(error.message == "in use by another test")
        }
        try FileManager.default.removeItem(at: directory)
    }
}
