import CMalloc
import Foundation

/// The agent's process-wide settings for a small idle footprint (docs/performance.md, "Agent footprint"), applied
/// first thing in `main`, before any thread is started: at most two glibc malloc arenas instead of up to eight per
/// core (each thread that meets contention otherwise gets an arena of its own, which keeps megabytes of freed memory
/// that no other thread reuses), unless `MALLOC_ARENA_MAX` is set.
///
/// The NIO event loops stay one per core: with a single loop, the province lab's agents (18 service checks started
/// together) saw connect and DNS timeouts on services that answered at once from the same namespace, and none with
/// four loops (docs/performance.md). Which call holds the loop was not found; until it is, the loop count is NIO's.
public enum ProcessFootprint {
    public static let mallocArenas: Int32 = 2

    public static func apply(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if environment["MALLOC_ARENA_MAX"] == nil {
            _ = sansang_limit_malloc_arenas(mallocArenas)
        }
    }
}
