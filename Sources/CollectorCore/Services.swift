import Foundation
import Logging
import Inventory
import ServiceLifecycle
import UnixSignals

/// Re-evaluates sites on a timer, so that an agent's silence turns its site STALE (then shows as unknown) without
/// any report arriving: every office once at start, then at each tick only the sites whose recheck time has come
/// (`Collector.evaluateDue`).
public struct EvaluationService: Service {
    public let collector: Collector
    public let interval: Duration
    private let logger: Logger

    public init(collector: Collector, interval: Duration = .seconds(15), logger: Logger = Logger(label: "sansang.evaluation")) {
        self.collector = collector
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        do {
            try await collector.evaluateAll()
        } catch {
            logger.error("evaluation failed", metadata: ["error": "\(error)"])
        }
        await repeatUntilShutdown(every: interval) {
            do {
                try await collector.evaluateDue()
            } catch {
                logger.error("evaluation failed", metadata: ["error": "\(error)"])
            }
        }
    }
}

/// Retention: deletes raw reports and series points older than `days`, at start and then hourly.
public struct RetentionService: Service {
    public let collector: Collector
    public let days: Int
    private let logger: Logger

    public init(collector: Collector, days: Int, logger: Logger = Logger(label: "sansang.retention")) {
        self.collector = collector
        self.days = days
        self.logger = logger
    }

    public func run() async throws {
        await repeatUntilShutdown(every: .seconds(3600)) {
            do {
                let pruned = try await collector.store.prune(before: Date().addingTimeInterval(-Double(days) * 86400))
                if pruned.reports + pruned.points > 0 {
                    logger.info("pruned", metadata: ["reports": "\(pruned.reports)", "points": "\(pruned.points)"])
                }
            } catch {
                logger.error("pruning failed", metadata: ["error": "\(error)"])
            }
        }
    }
}

/// Runs `body` now and every `interval` until graceful shutdown (or cancellation).
public func repeatUntilShutdown(every interval: Duration, _ body: @escaping @Sendable () async -> Void) async {
    await cancelWhenGracefulShutdown {
        while !Task.isCancelled {
            await body()
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
        }
    }
}

/// Reloads the inventory on SIGHUP without dropping a request: the new one is validated first and swapped
/// in only when valid; an invalid one is logged and the running inventory kept.
/// `alsoReload` reloads what else SIGHUP covers (the alert files).
public struct InventoryReloadService: Service {
    public let collector: Collector
    public let paths: [String]
    private let alsoReload: @Sendable () async -> Void
    private let logger: Logger

    public init(collector: Collector, paths: [String], alsoReload: @escaping @Sendable () async -> Void = {},
                logger: Logger = Logger(label: "sansang.inventory")) {
        self.collector = collector
        self.paths = paths
        self.alsoReload = alsoReload
        self.logger = logger
    }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        logger.info("SIGHUP reloads the inventory", metadata: ["paths": "\(paths.joined(separator: ","))"])
        for await _ in signals.cancelOnGracefulShutdown() {
            await alsoReload()
            do {
                let inventory = try InventoryLoader.load(paths: paths)
                collector.replaceInventory(inventory)
                logger.info("inventory reloaded", metadata: ["sites": "\(inventory.sites.count)"])
                try await collector.evaluateAll()
            } catch let errors as InventoryErrors {
                logger.error("inventory reload refused; keeping the running one",
                             metadata: ["errors": "\(errors.errors.map(\.description).joined(separator: "; "))"])
            } catch {
                logger.error("evaluation after reload failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
