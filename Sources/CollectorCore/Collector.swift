import CollectorStore
import Crypto
import Foundation
import Inventory
import Logging
import Metrics
import ReadinessModel
import SansangAPI
import Synchronization
import SystemSupport

/// The collector's backend, what the HTTP layer calls: the inventory (replaceable, e.g. on SIGHUP),
/// the store, the evaluator and the token authority.
public final class Collector: Sendable {
    public let store: any ReadinessStore
    public let tokens: TokenAuthority
    public let evaluator: ReadinessEvaluator
    /// The report interval agents are told in their plan.
    public let reportIntervalSeconds: Int
    /// Every recorded verdict transition with its site's new verdict, for whoever forwards them (the SNMP
    /// forwarder); the newest 1,000 are kept when nobody reads.
    public let transitionEvents: AsyncStream<SiteTransitionEvent>
    private let transitionSink: AsyncStream<SiteTransitionEvent>.Continuation
    /// The inventory and how many times it was replaced (what caches made from it compare).
    private let current: Mutex<(inventory: Inventory, generation: Int)>
    private let logger: Logger
    private let metrics: CollectorMetrics
    /// Concurrent ingests share one transaction (one commit), their sites' evaluation included.
    private let ingests = GroupCommit<IngestBatch, IngestedKeys>()
    /// Batches accepted for storage and not yet answered; above `maxPendingIngests` a batch is refused (503).
    private let pendingIngests = Mutex(0)
    public let maxPendingIngests: Int
    /// How often the verdict of a silent site (no report, or a stale one) is evaluated again, refreshing its evidence.
    public let refreshSeconds: TimeInterval
    /// The offices' clock (`office_time_zone`), named in the site bodies so that clients show times on it.
    public let officeTimeZone: TimeZone
    /// The last roll-up's verdicts, valid while the store's newest transition id is the same.
    private let summaries = Mutex<VerdictSummaryCache?>(nil)
    /// The last roll-up answered per dimension (nil: overall only), with what it was made from.
    private let rollUps = Mutex<[RollUpDimension?: (version: RollUpVersion, body: ReadinessBody)]>([:])

    public init(store: any ReadinessStore, inventory: Inventory, reportIntervalSeconds: Int = 60,
                evaluator: ReadinessEvaluator = ReadinessEvaluator(), logger: Logger = Logger(label: "sansang.collector"),
                metricsFactory: any MetricsFactory = MetricsSystem.factory, maxPendingIngests: Int = 2048,
                refreshSeconds: TimeInterval = 300, officeTimeZone: TimeZone = OfficeTime.zone) {
        self.store = store
        self.officeTimeZone = officeTimeZone
        self.refreshSeconds = refreshSeconds
        self.maxPendingIngests = maxPendingIngests
        self.tokens = TokenAuthority(store: store)
        self.evaluator = evaluator
        self.reportIntervalSeconds = reportIntervalSeconds
        self.current = Mutex((inventory, 0))
        self.logger = logger
        self.metrics = CollectorMetrics(factory: metricsFactory)
        (transitionEvents, transitionSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1000))
    }

    public var inventory: Inventory { current.withLock { $0.inventory } }

    /// The inventory with its generation: 0 at start, one more each time it is replaced.
    public var inventoryVersion: (inventory: Inventory, generation: Int) { current.withLock { $0 } }

    /// Swaps in a new inventory; requests in flight finish with the one they started with.
    public func replaceInventory(_ inventory: Inventory) {
        current.withLock { $0 = (inventory, $0.generation + 1) }
    }

    // MARK: Authentication

    public func authenticate(bearer token: String?) async throws(CollectorError) -> Principal {
        try await tokens.verify(token).0
    }

    // MARK: Ingest

    /// Stores a batch of the principal's site and re-evaluates the site. The batch is committed before
    /// this returns, so the acknowledgement can be trusted by the agent's spool.
    public func ingest(_ batch: ReportBatch, from principal: Principal, receivedAt: Date = Date()) async throws(CollectorError)
        -> IngestAcknowledgement {
        try await ingest(DecodedBatch(batch: batch, json: nil), from: principal, receivedAt: receivedAt)
    }

    /// As `ingest(_:from:receivedAt:)`, storing each report's JSON as received when the batch has it.
    public func ingest(_ decoded: DecodedBatch, from principal: Principal, receivedAt: Date = Date()) async throws(CollectorError)
        -> IngestAcknowledgement {
        let batch = decoded.batch
        guard case .site(let code) = principal else {
            throw reject(CollectorError(.forbidden, "reports are sent with a site token"))
        }
        if let other = batch.reports.first(where: { $0.site != code }) {
            logger.warning("refused reports for another site", metadata: ["token_site": "\(LogText(code))",
                                                                          "report_site": "\(LogText(other.site))"])
            throw reject(CollectorError(.siteMismatch, "this token is bound to site \(code); a report is for site \(other.site)"))
        }
        // Not permanent: the inventory may be changing (a reload in progress, an office being added).
        guard let site = inventory.site(code: code) else {
            throw reject(CollectorError(.unknownSite, "site \(code) is not in the inventory; retry later"))
        }
        guard site.hasOffice else {
            throw reject(CollectorError(.unknownSite, "site \(code) has no office in the inventory; retry later"))
        }
        guard admit() else {
            throw reject(CollectorError(.unavailable, "the collector is overloaded (\(maxPendingIngests) batches waiting); retry later"))
        }
        defer { pendingIngests.withLock { $0 -= 1 } }
        let outcome: IngestedKeys
        do {
            outcome = try await ingests.submit(IngestBatch(reports: batch.reports, receivedAt: receivedAt, json: decoded.json)) {
                [self] batches in try await storeAndEvaluate(batches)
            }
        } catch {
            // Nothing of the batch is stored (one transaction): acknowledge nothing, let the agent retry.
            logger.error("storage failed", metadata: ["operation": "storing reports", "error": "\(LogText("\(error)"))"])
            throw reject(CollectorError(.unavailable, "the reports could not be stored (\(storageFailure(error))); retry later",
                                        cause: error))
        }
        metrics.batches.increment()
        metrics.stored.increment(by: outcome.stored.count)
        metrics.duplicates.increment(by: outcome.duplicates.count)
        metrics.conflicts.increment(by: outcome.conflicts.count)
        for conflict in outcome.conflicts {
            logger.warning("report conflicts with the one stored under its id: a broken or cloned agent?", metadata: [
                "site": "\(LogText(code))", "boot_id": "\(LogText(conflict.key.bootId))", "seq": "\(conflict.key.seq)",
                "stored_digest": "\(conflict.storedDigest)", "received_digest": "\(conflict.receivedDigest)",
            ])
        }
        return IngestAcknowledgement(stored: outcome.stored, duplicates: outcome.duplicates, conflicts: outcome.conflicts.map(\.key))
    }

    /// One group of concurrent ingests: their reports stored and their sites evaluated in one transaction; what
    /// changed is logged and forwarded. A failure to record verdicts leaves the reports stored and acknowledged (the
    /// sites are evaluated again at their recheck time or next report).
    private func storeAndEvaluate(_ batches: [IngestBatch]) async throws -> [IngestedKeys] {
        let inventory = self.inventory
        let now = batches.map(\.receivedAt).max() ?? Date()
        let evaluator = self.evaluator
        let refresh = refreshSeconds
        let result = try await store.ingest(batches) { inputs in
            Self.evaluate(inputs, inventory: inventory, evaluator: evaluator, refresh: refresh, now: now)
        }
        if let error = result.evaluationError {
            logger.error("evaluation after ingest failed", metadata: [
                "sites": "\(LogText(Set(batches.flatMap { $0.reports.map(\.site) }).sorted().joined(separator: ",")))",
                "error": "\(LogText("\(error)"))"])
        }
        announce(result.transitions, verdicts: result.verdicts, latest: result.inputs.compactMapValues(\.latest), inventory: inventory)
        return result.outcomes
    }

    /// The verdicts of sites from their inputs, and when each must be evaluated again (pure).
    static func evaluate(_ inputs: [SiteInputs], inventory: Inventory, evaluator: ReadinessEvaluator, refresh: TimeInterval,
                         now: Date) -> EvaluatedSites {
        var recheck: [String: Date] = [:]
        let verdicts = inputs.compactMap { input -> SiteVerdict? in
            guard let site = inventory.site(code: input.site), let profile = inventory.profile(named: site.profile) else { return nil }
            let stored = input.latest
            let verdict = evaluator.evaluate(site: site, profile: profile, latest: stored?.report, receivedAt: stored?.receivedAt,
                                             notified: input.notification?.notifiedVerdict, now: now)
            recheck[site.code] = evaluator.recheckAt(site: site, profile: profile, latest: stored?.report,
                                                     receivedAt: stored?.receivedAt, now: now, refresh: refresh)
            return verdict
        }
        return EvaluatedSites(verdicts: verdicts, recheckAt: recheck)
    }

    /// Counts, logs and forwards recorded transitions.
    private func announce(_ transitions: [String: VerdictTransition], verdicts: [SiteVerdict], latest: [String: StoredReport],
                          inventory: Inventory) {
        guard !transitions.isEmpty else { return }
        metrics.transitions.increment(by: transitions.count)
        let byCode = Dictionary(verdicts.map { ($0.site, $0) }) { a, _ in a }
        for (code, transition) in transitions.sorted(by: { $0.key < $1.key }) {
            if let problems = latest[code]?.report.limitProblems(), !problems.isEmpty {
                // One poisoned site is marked NO_DATA and named here; every other site goes on.
                logger.error("stored report cannot be judged", metadata: [
                    "site": "\(LogText(code))", "problems": "\(LogText(problems.joined(separator: "; ")))"])
            }
            logger.info("verdict changed", metadata: [
                "site": "\(code)", "from": "\(transition.from?.rawValue ?? "none")", "to": "\(transition.to.rawValue)",
                "reasons": "\(transition.reasons.map(\.description).joined(separator: ","))",
            ])
            if let verdict = byCode[code], let site = inventory.site(code: code) {
                transitionSink.yield(SiteTransitionEvent(site: site, transition: transition, verdict: verdict))
            }
        }
    }

    /// Counts one more batch in flight, unless `maxPendingIngests` are already.
    private func admit() -> Bool {
        pendingIngests.withLock { pending in
            guard pending < maxPendingIngests else { return false }
            pending += 1
            return true
        }
    }

    /// What went wrong in storage, in words an agent's log can show (full disk, busy or broken database).
    private func storageFailure(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("SQLITE_FULL") || text.contains("disk is full") { return "the collector's disk is full" }
        if text.contains("SQLITE_BUSY") || text.contains("locked") { return "the database is busy" }
        return "database error"
    }

    private func reject(_ error: CollectorError) -> CollectorError {
        metrics.rejected(error.code).increment()
        return error
    }

    // MARK: SNMP notifications

    /// Stores notifications accepted from sites' agents as events on their sites, in one transaction, and
    /// re-evaluates those sites (a notified verdict stands in while a site's HTTP reports are missing).
    /// Notifications for sites that are not offices of the inventory are refused, all of them.
    public func acceptNotifications(_ notifications: [SiteNotification]) async throws(CollectorError) {
        let inventory = self.inventory
        var sites: [String: Site] = [:]
        for notification in notifications {
            guard let site = inventory.site(code: notification.site), site.hasOffice else {
                throw CollectorError(.notFound, "site \(notification.site) is not an office in the inventory")
            }
            sites[site.code] = site
        }
        guard let newest = notifications.map(\.receivedAt).max() else { return }
        let duplicates = try await storage("storing notifications") { try await store.recordNotifications(notifications) }
        if duplicates > 0 {
            logger.notice("SNMP notifications already stored (replayed?) were not stored again", metadata: ["count": "\(duplicates)"])
        }
        do {
            try await evaluate(Array(sites.values), now: newest)
        } catch {
            logger.error("evaluation after notifications failed", metadata: ["sites": "\(sites.keys.sorted().joined(separator: ","))",
                                                                             "error": "\(error)"])
        }
    }

    // MARK: Evaluation

    /// Re-evaluates every office and records what changed: at start and after an inventory reload (profiles may
    /// have changed). Decodes the newest report of every site: its cost grows with the fleet.
    @discardableResult
    public func evaluateAll(now: Date = Date()) async throws -> [String: VerdictTransition] {
        let start = ContinuousClock.now
        defer { metrics.evaluation.recordNanoseconds((ContinuousClock.now - start).inNanoseconds) }
        return try await evaluate(inventory.offices, now: now)
    }

    /// Re-evaluates the offices whose verdict can have changed with time alone (a report turned stale, a measurement
    /// too old, the evidence of a silent site to refresh), found by their recheck time in the store: the periodic
    /// evaluation, whose cost follows the sites that change, not the size of the fleet.
    @discardableResult
    public func evaluateDue(now: Date = Date()) async throws -> [String: VerdictTransition] {
        let start = ContinuousClock.now
        defer { metrics.evaluation.recordNanoseconds((ContinuousClock.now - start).inNanoseconds) }
        let inventory = self.inventory
        let due = try await store.sitesDueForEvaluation(at: now).compactMap { inventory.site(code: $0) }.filter(\.hasOffice)
        guard !due.isEmpty else { return [:] }
        return try await evaluate(due, now: now)
    }

    /// Evaluates `sites` from their own inputs only: the newest report of each (read and decoded for that site), its
    /// newest notification; records the verdicts with the time each must be looked at again.
    @discardableResult
    private func evaluate(_ sites: [Site], now: Date) async throws -> [String: VerdictTransition] {
        let inventory = self.inventory
        let codes = sites.map(\.code)
        let latest = try await store.latestReports(sites: codes)
        let notified = try await store.latestNotifications(sites: codes)
        let inputs = codes.map { SiteInputs(site: $0, latest: latest[$0], notification: notified[$0]) }
        let evaluated = Self.evaluate(inputs, inventory: inventory, evaluator: evaluator, refresh: refreshSeconds, now: now)
        let transitions = try await store.recordVerdicts(evaluated.verdicts, recheckAt: evaluated.recheckAt)
        announce(transitions, verdicts: evaluated.verdicts, latest: latest, inventory: inventory)
        return transitions
    }

    // MARK: Plan

    /// What the agent of `code` must check: its profile with overrides applied. `version` is a hash of
    /// the rest of the plan, so it changes exactly when the plan does (the HTTP layer's ETag).
    public func plan(site code: String) throws(CollectorError) -> AgentPlan {
        let inventory = self.inventory
        guard let site = inventory.site(code: code), site.hasOffice, let profile = inventory.effectiveProfile(for: site) else {
            throw CollectorError(.notFound, "site \(code) is not an office in the inventory")
        }
        var plan = AgentPlan(site: site, profile: profile, reportIntervalSeconds: reportIntervalSeconds, version: "")
        // Sets encode in a per-process order: hash a copy with the skipped services sorted instead.
        var canonical = plan
        canonical.site.overrides.skipServices = []
        let skipped = site.overrides.skipServices.sorted().joined(separator: "\n")
        let json = (try? ReportCoding.encoder().encode(canonical)) ?? Data()
        let digest = SHA256.hash(data: json + Data(skipped.utf8))
        plan.version = digest.prefix(8).map { String(format: "%02x", $0) }.joined()
        return plan
    }

    // MARK: Queries

    /// The roll-up overall and by `dimension`. Kept per dimension as of the verdicts' transition id and the inventory's
    /// generation: a NOC screen polling an unchanged fleet is answered without counting 33,210 sites again.
    public func readiness(groupBy dimension: RollUpDimension?, now: Date = Date()) async throws(CollectorError) -> ReadinessBody {
        let summary = try await storage("reading verdicts") { try await verdictSummaryCache() }
        let (inventory, generation) = inventoryVersion
        let version = RollUpVersion(transitionID: summary.transitionID, inventoryGeneration: generation)
        if let kept = rollUps.withLock({ $0[dimension] }), kept.version == version {
            var body = kept.body
            body.generatedAt = now
            return body
        }
        let rollUp = RollUp(sites: inventory.sites, verdicts: summary.verdicts, by: dimension.map { [$0] } ?? [])
        let groups = dimension.map { rollUp.groups(by: $0) } ?? []
        let body = ReadinessBody(generatedAt: now, overall: TallyBody(rollUp.overall), groupBy: dimension?.rawValue,
                                 groups: groups.map { ReadinessBody.Group(key: $0.key, tally: TallyBody($0.tally)) })
        rollUps.withLock { $0[dimension] = (version, body) }
        return body
    }

    /// Every site's state and reason keys, what roll-ups count: read from the store's compact verdict columns, and
    /// kept as of the store's newest transition id (a transition is recorded, in the verdict's own transaction,
    /// exactly when a site's state or reason keys change, on whichever replica). When the id moved, only the sites
    /// with transitions since are read again, so a change costs what changed, not a read of the fleet. The database
    /// stays the source of truth: the check costs one indexed read per roll-up, and a change made by another replica
    /// is seen at the next roll-up.
    public func verdictSummaries() async throws -> [String: SiteVerdict] { try await verdictSummaryCache().verdicts }

    /// The verdict summaries with the transition id they are as of.
    private func verdictSummaryCache() async throws -> VerdictSummaryCache {
        let version = try await store.latestTransitionID()
        let cached = summaries.withLock { $0 }
        if let cached, cached.transitionID == version { return cached }
        var verdicts: [String: SiteVerdict]
        if let cached, cached.transitionID < version {
            // The changed sites' rows are read after the ids that name them: each is at least as new as its transition.
            let changed = try await store.sitesWithTransitions(after: cached.transitionID, upTo: version)
            verdicts = cached.verdicts
            if !changed.isEmpty {
                verdicts.merge(try await store.verdictSummaries(sites: Array(changed))) { _, fresh in fresh }
            }
        } else {
            verdicts = try await store.verdictSummaries()
        }
        let made = VerdictSummaryCache(transitionID: version, verdicts: verdicts)
        summaries.withLock { current in
            // Concurrent readers: keep the newest copy.
            if (current?.transitionID ?? .min) < version { current = made }
        }
        return made
    }

    /// Sites matching the filter in inventory order, paged.
    /// Filters on the compact verdict rows (state and reason keys: all a filter and a summary show), reads the
    /// report times of the page only: nothing is decoded, whatever the size of the fleet.
    public func sites(filter: SiteFilter, limit: Int = 100, offset: Int = 0) async throws(CollectorError) -> SiteListBody {
        let verdicts = try await storage("reading verdicts") { try await verdictSummaries() }
        let matching = inventory.sites.filter { filter.matches($0, verdicts[$0.code]) }
        let page = matching.dropFirst(offset).prefix(limit)
        let received = try await storage("reading reports") {
            try await store.latestReportKeys(sites: page.map(\.code)).mapValues(\.receivedAt)
        }
        return SiteListBody(total: matching.count, limit: limit, offset: offset, items: page.map {
            SiteSummaryBody(site: $0, verdict: verdicts[$0.code], lastReportAt: received[$0.code])
        }, officeTimeZone: officeTimeZone.identifier)
    }

    public func site(code: String) async throws(CollectorError) -> SiteDetailBody {
        guard let site = inventory.site(code: code) else { throw CollectorError(.notFound, "no site \(code) in the inventory") }
        let verdict = try await storage("reading verdicts") { try await store.verdicts(sites: [code])[code] }
        let latest = try await storage("reading reports") { try await store.latestReport(site: code) }
        return SiteDetailBody(site: site, verdict: verdict, latestReport: latest?.report, lastReportAt: latest?.receivedAt,
                              officeTimeZone: officeTimeZone.identifier)
    }

    public func history(code: String, from: Date, to: Date) async throws(CollectorError) -> SiteHistoryBody {
        guard inventory.site(code: code) != nil else { throw CollectorError(.notFound, "no site \(code) in the inventory") }
        guard from <= to else { throw CollectorError(.badParameter, "from must not be after to") }
        let transitions = try await storage("reading history") { try await store.transitions(site: code, from: from, to: to) }
        let points = try await storage("reading history") { try await store.points(site: code, from: from, to: to) }
        let gaps = try await storage("reading history") { try await store.gaps(site: code, from: from, to: to) }
        let notifications = try await storage("reading history") { try await store.notifications(site: code, from: from, to: to) }
        return SiteHistoryBody(site: code, from: from, to: to, transitions: transitions, points: points, gaps: gaps,
                               notifications: notifications)
    }

    /// Whether the database answers (for `/readyz`).
    public func isReady() async -> Bool {
        (try? await store.ping()) != nil && !inventory.sites.isEmpty
    }

    /// Runs a storage operation; a failure is logged and becomes `internal_error` ("storage failed while …").
    public func storage<T>(_ what: String, _ operation: () async throws -> T) async throws(CollectorError) -> T {
        do {
            return try await operation()
        } catch {
            logger.error("storage failed", metadata: ["operation": "\(what)", "error": "\(LogText("\(error)"))"])
            if let failure = error as? any StoreError, failure.isUnavailable {
                throw CollectorError(.unavailable, "the database does not answer (while \(what)); retry later", cause: error)
            }
            throw CollectorError(.internalError, "storage failed while \(what)", cause: error)
        }
    }
}

/// Roll-up inputs as of one transition id.
struct VerdictSummaryCache: Sendable {
    var transitionID: Int64
    var verdicts: [String: SiteVerdict]
}

/// What a roll-up is made from: the verdicts (as of a transition id) and the inventory (its generation).
struct RollUpVersion: Hashable, Sendable {
    var transitionID: Int64
    var inventoryGeneration: Int
}

/// A verdict transition as the collector recorded it, with the site and its new verdict.
public struct SiteTransitionEvent: Sendable {
    public var site: Site
    public var transition: VerdictTransition
    public var verdict: SiteVerdict
}

extension SiteFilter {
    /// From query parameters; an unknown verdict or reason code is a `bad_parameter`.
    public init(verdict: String?, reason: String?, province: String?, formerDistrict: String?) throws(CollectorError) {
        do {
            self = try SiteFilter.parse(verdict: verdict, reason: reason, province: province, formerDistrict: formerDistrict)
        } catch {
            throw CollectorError(.badParameter, error.message)
        }
    }
}

/// The collector's own metrics (the HTTP layer counts requests).
struct CollectorMetrics: Sendable {
    let factory: any MetricsFactory
    let batches: Counter
    let stored: Counter
    let duplicates: Counter
    let conflicts: Counter
    let transitions: Counter
    let evaluation: Metrics.Timer

    init(factory: any MetricsFactory) {
        self.factory = factory
        batches = Counter(label: "sansang_ingest_batches_total", factory: factory)
        stored = Counter(label: "sansang_reports_stored_total", factory: factory)
        duplicates = Counter(label: "sansang_reports_duplicate_total", factory: factory)
        conflicts = Counter(label: "sansang_reports_conflict_total", factory: factory)
        transitions = Counter(label: "sansang_verdict_transitions_total", factory: factory)
        evaluation = Metrics.Timer(label: "sansang_evaluation_duration_seconds", factory: factory)
    }

    func rejected(_ code: APIErrorCode) -> Counter {
        Counter(label: "sansang_ingest_rejected_total", dimensions: [("code", code.rawValue)], factory: factory)
    }
}


extension Principal {
    /// Query endpoints need a NOC token (read or admin).
    public func requireNOC() throws(CollectorError) {
        guard case .noc = self else { throw CollectorError(.forbidden, "this endpoint needs a NOC token") }
    }

    /// The NOC user's name; changes (silences) need the admin role.
    public func requireAdmin() throws(CollectorError) -> String {
        guard case .noc(let name, let role) = self else { throw CollectorError(.forbidden, "this endpoint needs a NOC token") }
        guard role == .admin else { throw CollectorError(.forbidden, "this needs a NOC token with the admin role") }
        return name
    }

    /// The site of a site token; agent endpoints need one.
    public func requireSite() throws(CollectorError) -> String {
        guard case .site(let code) = self else { throw CollectorError(.forbidden, "this endpoint needs a site token") }
        return code
    }
}
