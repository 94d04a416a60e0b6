import CollectorStore
import Foundation
import Testing

/// A mail that must go out once whatever the number of collectors (the weekly summary) is claimed in the store.
@Suite struct MailClaimTests {
    @Test(arguments: Backend.allCases)
    func aMailIsClaimedOnceAndAGivenBackClaimCanBeTakenAgain(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let now = Date(timeIntervalSince1970: 1_780_000_000)
            #expect(try await store.claimMail(id: "weekly-2026-W49-vi", at: now))
            #expect(try await !store.claimMail(id: "weekly-2026-W49-vi", at: now + 60), "a second claim of the same mail")
            #expect(try await store.claimMail(id: "weekly-2026-W49-en", at: now), "another language is another mail")
            try await store.releaseMailClaim(id: "weekly-2026-W49-vi")
            #expect(try await store.claimMail(id: "weekly-2026-W49-vi", at: now + 120))
        }
    }
}
