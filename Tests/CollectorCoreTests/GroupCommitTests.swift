@testable import CollectorCore
import Synchronization
import Testing

/// Concurrent submissions run in groups, each output goes to its own caller, and one failing input does not fail
/// the others of its group.
@Suite struct GroupCommitTests {
    @Test func concurrentSubmissionsShareGroupsAndGetTheirOwnOutputs() async throws {
        let groups = GroupCommit<Int, Int>()
        let sizes = Mutex<[Int]>([])
        let work: @Sendable ([Int]) async throws -> [Int] = { inputs in
            sizes.withLock { $0.append(inputs.count) }
            try await Task.sleep(for: .milliseconds(20))  // a commit taking a while: newcomers wait for the next group
            return inputs.map { $0 * 10 }
        }
        let outputs = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for i in 0..<50 { group.addTask { (i, try await groups.submit(i, using: work)) } }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        #expect(outputs.count == 50 && outputs.allSatisfy { $0.value == $0.key * 10 })
        let seen = sizes.withLock { $0 }
        #expect(seen.reduce(0, +) == 50)
        #expect(seen.count < 50, "some inputs were grouped: \(seen)")
    }

    struct Refused: Error {}

    @Test func aFailingInputFailsAloneItsGroupRunsOneByOne() async throws {
        let groups = GroupCommit<Int, Int>()
        let work: @Sendable ([Int]) async throws -> [Int] = { inputs in
            try await Task.sleep(for: .milliseconds(20))
            if inputs.contains(13) { throw Refused() }
            return inputs
        }
        let results = await withTaskGroup(of: (Int, Bool).self) { group in
            for i in 10..<20 {
                group.addTask { (i, (try? await groups.submit(i, using: work)) != nil) }
            }
            return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        #expect(results.filter { !$0.value }.map(\.key) == [13])
        #expect(results.count == 10)
    }
}
