import CMalloc
import Foundation

/// The agent's process-wide settings for a small idle footprint (docs/performance.md, "Agent footprint"), applied
/// first thing in `main`, before any thread is started: at most two glibc malloc arenas instead of up to eight per
/// core (each thread that meets contention otherwise gets an arena of its own, which keeps megabytes of freed memory
/// that no other thread reuses), unless `MALLOC_ARENA_MAX` is set.
///
/// The NIO event loops stay NIO's (one per core). A single loop saves a thread and its arena; it was taken back
/// while the province lab's agents reported timeouts, whose cause turned out to be the kernel's neighbour table
/// (docs/lab.md), not the loop count. It comes back once a lab run shows one-loop agents well.
public enum ProcessFootprint {
    public static let mallocArenas: Int32 = 2

    public static func apply(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if environment["MALLOC_ARENA_MAX"] == nil {
            _ = sansang_limit_malloc_arenas(mallocArenas)
        }
    }
}
