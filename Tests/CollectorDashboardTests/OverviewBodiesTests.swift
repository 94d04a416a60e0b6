import Presentation
import Synchronization
import Testing
@testable import CollectorDashboard

/// The overview body shared by every viewer: made once per version, remade when any part of the version changes,
/// made once for viewers arriving together, and not kept when the making failed.
@Suite struct OverviewBodiesTests {
    struct StoreDown: Error {}

    /// How many times a body was made (shared by the makings of concurrent tasks).
    final class Makings: Sendable {
        private let count = Mutex(0)
        func add() -> Int { count.withLock { $0 += 1; return $0 } }
        var total: Int { count.withLock { $0 } }
    }

    static let base = OverviewBodies.Version(transitionID: 7, inventoryGeneration: 0, minute: 29_000_000, language: .vi)

    @Test func madeOncePerVersionAndRemadeWhenAnyPartChanges() async throws {
        let bodies = OverviewBodies()
        let makings = Makings()
        func body(_ version: OverviewBodies.Version) async throws -> String {
            try await bodies.body(version) {
                let count = makings.add()
                return "body \(count) for \(version.transitionID)"
            }
        }
        #expect(try await body(Self.base) == "body 1 for 7")
        #expect(try await body(Self.base) == "body 1 for 7")
        var changed = Self.base
        changed.transitionID = 8
        #expect(try await body(changed) == "body 2 for 8")
        changed.minute += 1
        #expect(try await body(changed) == "body 3 for 8")
        changed.inventoryGeneration = 1
        #expect(try await body(changed) == "body 4 for 8")
        // Each language keeps its own newest body.
        var english = changed
        english.language = .en
        #expect(try await body(english) == "body 5 for 8")
        #expect(try await body(changed) == "body 4 for 8")
        #expect(makings.total == 5)
    }

    @Test func viewersArrivingTogetherWaitForOneMaking() async throws {
        let bodies = OverviewBodies()
        let makings = Makings()
        let results = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try await bodies.body(Self.base) {
                        _ = makings.add()
                        try await Task.sleep(for: .milliseconds(200))
                        return "the body"
                    }
                }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(results == Array(repeating: "the body", count: 20))
        #expect(makings.total == 1)
    }

    @Test func aFailedMakingIsNotKept() async throws {
        let bodies = OverviewBodies()
        await #expect(throws: StoreDown.self) {
            try await bodies.body(Self.base) { throw StoreDown() }
        }
        #expect(try await bodies.body(Self.base) { "made again" } == "made again")
    }
}
