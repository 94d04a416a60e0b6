import Foundation
import ReadinessModel
import Testing
@testable import Spool

@Suite struct SpoolRecordTests {
    let payload = Data(#"{"report":{"seq":1},"note":"xin chào"}"#.utf8)

    @Test func roundTrip() async throws {
        let record = SpoolRecord.encode(payload: payload)
        #expect(record.count == SpoolRecord.headerSize + payload.count)
        #expect(Array(record.prefix(4)) == Array("SSPL".utf8))
        #expect(try SpoolRecord.decode(record).get() == payload)
        #expect(try SpoolRecord.decode(SpoolRecord.encode(payload: Data())).get() == Data())
    }

    @Test func everyCutLengthIsDetectedAsTorn() {
        let record = SpoolRecord.encode(payload: payload)
        for length in 0..<record.count {
            let cut = record.prefix(length)
            guard case .failure = SpoolRecord.decode(Data(cut)) else {
                Issue.record("a record cut to \(length) of \(record.count) bytes was accepted")
                continue
            }
        }
    }

    @Test func trailingGarbageIsDetected() {
        #expect(SpoolRecord.decode(SpoolRecord.encode(payload: payload) + Data([0])) ==
                .failure(.lengthMismatch(expected: SpoolRecord.headerSize + payload.count,
                                         actual: SpoolRecord.headerSize + payload.count + 1)))
    }

    @Test func everySingleBitFlipIsDetected() {
        let record = SpoolRecord.encode(payload: payload)
        for byte in 0..<record.count {
            for bit in 0..<8 {
                var damaged = record
                damaged[byte] ^= UInt8(1 << bit)
                if case .success = SpoolRecord.decode(damaged) {
                    Issue.record("flipping bit \(bit) of byte \(byte) went unnoticed")
                }
            }
        }
    }

    @Test func randomCorruptionIsDetected() {
        var generator = SystemRandomNumberGenerator()
        let record = SpoolRecord.encode(payload: payload)
        for _ in 0..<2000 {
            var damaged = record
            let changes = Int.random(in: 1...8, using: &generator)
            for _ in 0..<changes {
                let index = Int.random(in: 0..<damaged.count, using: &generator)
                damaged[index] = damaged[index] &+ UInt8.random(in: 1...255, using: &generator)
            }
            if case .success = SpoolRecord.decode(damaged) { Issue.record("corruption went unnoticed: \(Array(damaged))") }
        }
        for _ in 0..<500 {
            let garbage = Data((0..<Int.random(in: 0...200)).map { _ in UInt8.random(in: 0...255) })
            if case .success = SpoolRecord.decode(garbage) { Issue.record("garbage accepted") }
        }
    }

    @Test func headerFields() {
        #expect(SpoolRecord.decode(Data("XXXX".utf8) + Data(count: 16)) == .failure(.badMagic))
        var wrongVersion = SpoolRecord.encode(payload: payload)
        wrongVersion[5] = 2
        #expect(SpoolRecord.decode(wrongVersion) == .failure(.badHeaderChecksum))
    }

    @Test func fileNamesSortOldestFirstAndParseBack() {
        let early = BootOrigin(bootId: "b-early", startedAtMilliseconds: 9_000)
        let late = BootOrigin(bootId: "a-late", startedAtMilliseconds: 10_000)
        let entries = [
            SpoolEntry(boot: late, seq: 0, generatedAtMilliseconds: 10_500, bytes: 1),
            SpoolEntry(boot: early, seq: 10, generatedAtMilliseconds: 9_900, bytes: 1),
            SpoolEntry(boot: early, seq: 9, generatedAtMilliseconds: 9_800, bytes: 1),
        ]
        let byName = entries.sorted { $0.fileName < $1.fileName }
        #expect(byName == entries.sorted())
        #expect(byName.map(\.seq) == [9, 10, 0])
        for entry in entries {
            #expect(SpoolEntry.parse(fileName: entry.fileName, bytes: 1) == entry)
        }
        #expect(SpoolEntry.parse(fileName: "state.json", bytes: 1) == nil)
        #expect(SpoolEntry.parse(fileName: "1-2-3-x.rec", bytes: 1) == nil)
        #expect(!SpoolEntry.isValidBootId("../etc"))
    }
}

@Suite struct SpoolBoundsTests {
    let boot = BootOrigin(bootId: "boot", startedAtMilliseconds: 0)

    func entries(_ count: Int, bytes: Int = 100) -> [SpoolEntry] {
        (0..<count).map { SpoolEntry(boot: boot, seq: UInt64($0), generatedAtMilliseconds: Int64($0) * 60_000, bytes: bytes) }
    }

    @Test func sizeDropsTheOldestUntilTheNewRecordFits() {
        let bounds = SpoolBounds(maxBytes: 1000, maxAge: 1e9)
        let now = Date(timeIntervalSince1970: 600)
        #expect(bounds.entriesToDrop(entries(9), incoming: 100, now: now).isEmpty)
        #expect(bounds.entriesToDrop(entries(10), incoming: 100, now: now).map(\.seq) == [0])
        #expect(bounds.entriesToDrop(entries(10), incoming: 350, now: now).map(\.seq) == [0, 1, 2, 3])
    }

    @Test func ageDropsEveryRecordOlderThanTheLimit() {
        let bounds = SpoolBounds(maxBytes: 1 << 30, maxAge: 3 * 60)
        // Entries generated at minutes 0…9; now is minute 10: minutes 0…6 are older than 3 minutes.
        let dropped = bounds.entriesToDrop(entries(10), incoming: 100, now: Date(timeIntervalSince1970: 600))
        #expect(dropped.map(\.seq) == [0, 1, 2, 3, 4, 5, 6])
    }

    @Test func gapLedgerMergesPerBootAndKeepsBootsApart() {
        var ledger = GapLedger()
        ledger.record(lost: Array(entries(5)[1...3]))
        let other = BootOrigin(bootId: "next", startedAtMilliseconds: 1_000_000)
        ledger.record(lost: [SpoolEntry(boot: other, seq: 0, generatedAtMilliseconds: 1_000_000, bytes: 1)])
        ledger.record(lost: [entries(6)[5]])
        #expect(ledger.pending.count == 2)
        #expect(ledger.next?.boot == boot)
        #expect(ledger.next?.gap == GapRecord(count: 4, firstSeq: 1, lastSeq: 5,
                                              from: Date(timeIntervalSince1970: 60), to: Date(timeIntervalSince1970: 300),
                                              bootId: "boot"))
        ledger.carried(ledger.next!)
        #expect(ledger.next?.boot == other)
        #expect(ledger.next?.gap.count == 1)
    }
}
