import CollectorStore
import Foundation
import Testing

@Suite struct EnrolmentCodeStoreTests {
    @Test(arguments: Backend.allCases) func aCodeIsConsumedOnceForItsSiteBeforeItExpires(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await store.insertEnrolmentCode(EnrolmentCodeRecord(sha256: "aa", site: "20242", createdAt: t0,
                                                                    expiresAt: t0.addingTimeInterval(3600)))
            try await store.insertEnrolmentCode(EnrolmentCodeRecord(sha256: "bb", site: "20242", createdAt: t0,
                                                                    expiresAt: t0.addingTimeInterval(60)))
            #expect(try await store.consumeEnrolmentCode(sha256: "zz", site: "20242", now: t0) == .unknown)
            // Another site's attempt neither succeeds nor spends the code.
            #expect(try await store.consumeEnrolmentCode(sha256: "aa", site: "20257", now: t0) == .otherSite("20242"))
            #expect(try await store.consumeEnrolmentCode(sha256: "aa", site: "20242", now: t0) == .consumed)
            #expect(try await store.consumeEnrolmentCode(sha256: "aa", site: "20242", now: t0) == .used)
            #expect(try await store.consumeEnrolmentCode(sha256: "bb", site: "20242", now: t0.addingTimeInterval(60)) == .expired)
        }
    }
}
