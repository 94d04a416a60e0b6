import CollectorStore
import Foundation
import ReadinessModel
import SansangAPI
import Testing

/// Issue 14, items 1 and 2: which report is the latest (by the collector's clock), and what happens to a
/// report whose id was stored before with other content.
@Suite struct ReportOrderAndConflictTests {
    /// Before: `latest_report` moved only forward by `generated_at`, so one report dated 2099 hid every later one.
    @Test(arguments: Backend.allCases) func aFutureDatedReportDoesNotHideNewerOnes(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let year2099 = Date(timeIntervalSince1970: 4_070_908_800)
            _ = try await store.ingest([report(seq: 1, at: year2099)], receivedAt: t0)
            _ = try await store.ingest([report(seq: 2, at: t0 + 60)], receivedAt: t0 + 61)
            let latest = try #require(try await store.latestReport(site: "20242"))
            #expect(latest.report.seq == 2)
            #expect(latest.receivedAt == t0 + 61)
        }
    }

    /// Within one boot the higher seq is newer whatever the clocks say; a new boot is newer when received later.
    @Test(arguments: Backend.allCases) func seqOrdersOneBootAndReceiptOrdersBoots(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.ingest([report(seq: 5, at: t0)], receivedAt: t0 + 1)
            // Seq 4 drained late from the spool, dated later by a clock that jumped forward: not newer.
            _ = try await store.ingest([report(seq: 4, at: t0 + 3600)], receivedAt: t0 + 2)
            #expect(try await store.latestReport(site: "20242")?.report.seq == 5)
            // The agent restarted with its clock behind: its new boot is the latest all the same.
            _ = try await store.ingest([report(boot: "b2", seq: 1, at: t0 - 3600)], receivedAt: t0 + 3)
            #expect(try await store.latestReport(site: "20242")?.report.agent.bootId == "b2")
            // In one batch, oldest first, the last report wins.
            _ = try await store.ingest([report(boot: "b3", seq: 1, at: t0 + 4), report(boot: "b3", seq: 2, at: t0 + 4)],
                                       receivedAt: t0 + 5)
            #expect(try await store.latestReport(site: "20242")?.report.seq == 2)
        }
    }

    /// Before: the same (site, boot_id, seq) with other content was silently "a duplicate".
    @Test(arguments: Backend.allCases) func sameIdOtherContentIsAConflictWithBothDigests(_ backend: Backend) async throws {
        try await withStore(backend) { store, database in
            let original = report(seq: 7, at: t0, lan: 10000)
            let clone = report(seq: 7, at: t0, lan: 100)
            _ = try await store.ingest([original], receivedAt: t0 + 1)
            let again = try await store.ingest([original, clone], receivedAt: t0 + 2)
            #expect(again.stored.isEmpty)
            #expect(again.duplicates == [ReportKey(bootId: "b1", seq: 7)])
            let conflict = try #require(again.conflicts.first)
            #expect(again.conflicts.count == 1)
            #expect(conflict.key == ReportKey(bootId: "b1", seq: 7))
            let encoder = ReportCoding.encoder()
            #expect(conflict.storedDigest == reportDigest(try encoder.encode(original)))
            #expect(conflict.receivedDigest == reportDigest(try encoder.encode(clone)))
            #expect(conflict.storedDigest.count == 64 && conflict.storedDigest != conflict.receivedDigest)
            // The stored report is kept.
            #expect(try await store.latestReport(site: "20242")?.report == original)
            #expect(try await store.reportCount(site: "20242") == 1)
            // A row stored before digests existed (NULL) is hashed when it is compared.
            try await database.execute("UPDATE report SET digest = NULL")
            let old = try await store.ingest([original, clone], receivedAt: t0 + 3)
            #expect(old.duplicates.count == 1 && old.conflicts.count == 1)
        }
    }
}
