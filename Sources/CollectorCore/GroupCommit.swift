/// Runs submitted work in groups: while one group runs, what arrives waits and then runs together as the next
/// group. Under load one transaction (one fsync) serves many requests; a request alone runs at once. When a
/// group fails, its members run one by one, so that one bad request cannot fail the others.
public actor GroupCommit<Input: Sendable, Output: Sendable> {
    public typealias Work = @Sendable ([Input]) async throws -> [Output]
    private var waiting: [(input: Input, continuation: CheckedContinuation<Output, any Error>)] = []
    private var work: Work?
    private var running = false

    /// Runs `input` in the next group; `work` returns one output per input, in order (every caller passes the
    /// same work: the owner's method).
    public init() {}

    public func submit(_ input: Input, using work: @escaping Work) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            waiting.append((input, continuation))
            self.work = work
            if !running {
                running = true
                Task { await drain() }
            }
        }
    }

    private func drain() async {
        while !waiting.isEmpty, let work {
            let group = waiting
            waiting = []
            do {
                let outputs = try await work(group.map(\.input))
                for (member, output) in zip(group, outputs) { member.continuation.resume(returning: output) }
            } catch where group.count > 1 {
                for member in group {
                    do {
                        member.continuation.resume(returning: try await work([member.input])[0])
                    } catch {
                        member.continuation.resume(throwing: error)
                    }
                }
            } catch {
                group[0].continuation.resume(throwing: error)
            }
        }
        running = false
    }
}
