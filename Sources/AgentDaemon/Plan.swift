import Foundation
import ReadinessModel
import SansangAPI
import Spool
import SystemSupport

/// The plan as cached in `state_directory/plan.json`, with the ETag it was served with.
public struct CachedPlan: Sendable, Hashable, Codable {
    public var etag: String?
    public var fetchedAt: Date
    public var plan: AgentPlan

    public init(etag: String?, fetchedAt: Date, plan: AgentPlan) {
        self.etag = etag
        self.fetchedAt = fetchedAt
        self.plan = plan
    }

    enum CodingKeys: String, CodingKey {
        case etag, plan
        case fetchedAt = "fetched_at"
    }

    /// The cached plan in `file`, or nil when there is none or it cannot be read.
    public static func load(_ file: URL) -> CachedPlan? {
        guard let data = try? Data(contentsOf: file) else { return nil }
        return try? ReportCoding.decoder().decode(CachedPlan.self, from: data)
    }

    /// Writes the cache durably (write aside, fsync, rename, fsync the directory) on the calling thread, which
    /// blocks: for tools and test fixtures. The running agent uses `saveOffPool`.
    public func save(_ file: URL) throws {
        try DurableFile.replace(file, with: ReportCoding.encoder(pretty: true).encode(self))
    }

    /// `save` on a thread of the blocking pool, never on the cooperative pool: the plan service's write.
    public func saveOffPool(_ file: URL) async throws {
        try await DurableFile.replaceOffPool(file, with: ReportCoding.encoder(pretty: true).encode(self))
    }
}

/// The current plan, shared by the plan, reporter and notify services; callers can wait for the first one.
public actor PlanHolder {
    private var cached: CachedPlan?
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init(_ initial: CachedPlan? = nil) {
        cached = initial
    }

    public var current: CachedPlan? { cached }

    public func set(_ plan: CachedPlan) {
        cached = plan
        let waiting = waiters
        waiters = []
        for waiter in waiting { waiter.resume() }
    }

    /// The plan once there is one. Cancellation ends the wait with CancellationError.
    public func first() async throws -> CachedPlan {
        while cached == nil {
            try Task.checkCancellation()
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    if Task.isCancelled { continuation.resume() } else { waiters.append(continuation) }
                }
            } onCancel: {
                Task { await self.wakeAll() }
            }
        }
        return cached!
    }

    private func wakeAll() {
        let waiting = waiters
        waiters = []
        for waiter in waiting { waiter.resume() }
    }
}
