import CMalloc
import Foundation
import NIOCore

/// The agent's process-wide settings for a small idle footprint (docs/performance.md, "Agent footprint"), applied
/// first thing in `main`, before any thread is started:
/// - one NIO event loop instead of one per core: the agent's few dozen connections a minute (the collector,
///   the service checks, `/metrics`) share the one `MultiThreadedEventLoopGroup.singleton`, and every further
///   loop is a thread with its own stack and malloc arena, idle all day on an 8-core office server;
/// - at most two glibc malloc arenas instead of up to eight per core: each thread that meets contention otherwise
///   gets an arena of its own, which keeps megabytes of freed memory that no other thread reuses.
/// Either is left alone when its environment variable (`NIO_SINGLETON_GROUP_LOOP_COUNT`, `MALLOC_ARENA_MAX`) is set.
public enum ProcessFootprint {
    public static let eventLoops = 1
    public static let mallocArenas: Int32 = 2

    public static func apply(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if environment["MALLOC_ARENA_MAX"] == nil {
            _ = sansang_limit_malloc_arenas(mallocArenas)
        }
        if environment["NIO_SINGLETON_GROUP_LOOP_COUNT"] == nil {
            NIOSingletons.groupLoopCountSuggestion = eventLoops
        }
    }
}
