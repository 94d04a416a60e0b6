import Foundation
import Logging
import ReadinessModel
import ServiceChecks
import ServiceLifecycle
import Spool
import SystemSupport
import Throughput

/// The newest result of each service check and throughput test, which every report carries.
actor LatestResults {
    private var outcomes: [String: ServiceOutcome] = [:]
    private var measurements: [LinkRole: ThroughputMeasurement] = [:]

    func record(_ outcome: ServiceOutcome) { outcomes[outcome.result.name] = outcome }
    func record(_ measurement: ThroughputMeasurement, for role: LinkRole) { measurements[role] = measurement }

    /// The results of the profile's checks that have run (checks dropped from the plan are left out), and the
    /// host clock as the first NTP check saw it.
    func services(for profile: Profile) -> (results: [ServiceResult], clock: ClockReading?) {
        let current = profile.services.compactMap { outcomes[$0.name] }
        return (current.map(\.result), current.lazy.compactMap(\.clock).first)
    }

    /// The report's links with the newest throughput measurement of each link judged by throughput.
    func links(_ links: [LinkReport], for profile: Profile) -> [LinkReport] {
        var links = links
        for target in profile.links where target.role.judgedBy == .throughput {
            guard let measurement = measurements[target.role] else { continue }
            if let index = links.firstIndex(where: { $0.role == target.role }) {
                links[index].throughput = measurement
            } else {
                links.append(LinkReport(role: target.role, throughput: measurement))
            }
        }
        return links
    }
}

/// When a check runs next (pure): after `interval`, but a failure is checked once more after `retry` (at most the
/// interval), as monitoring systems retry a soft failure before they hold it: a check that failed because the office
/// was still coming up, or for a moment, is not reported as down for a whole interval. A retry that fails too waits
/// the interval, so a service that stays down costs one check more per interval, not one per retry.
enum CheckCadence {
    static func next(ok: Bool, afterRetry: Bool, interval: Duration, retry: Duration) -> (delay: Duration, isRetry: Bool) {
        if ok || afterRetry { return (interval, false) }
        return (min(retry, interval), true)
    }
}

/// Runs each service check of the plan on its own loop (every `interval`, the first after a random part of it; a
/// failure once more after `retryInterval`), so that a hanging target delays nothing but its own next result.
/// Restarts the loops when the plan changes.
struct ServiceCheckService: Service {
    let holder: PlanHolder
    let results: LatestResults
    /// Nil: the plan's report interval.
    let interval: Duration?
    /// Nil: the plan's report interval.
    let retryInterval: Duration?
    let timeout: Duration
    /// The CA file tls/https checks trust instead of the system store; nil: the system store.
    var caFile: String?
    let logger: Logger

    func run() async throws {
        guard let first = try? await cancelWhenGracefulShutdown({ try await holder.first() }) else { return }
        var plan = first.plan
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let every = interval ?? .seconds(max(1, plan.reportIntervalSeconds))
            let retry = retryInterval ?? .seconds(max(1, plan.reportIntervalSeconds))
            let (checks, version) = (plan.profile.services, plan.version)
            await cancelWhenGracefulShutdown {
                await withTaskGroup(of: Void.self) { group in
                    for check in checks {
                        group.addTask { await repeatCheck(check, every: every, retry: retry) }
                    }
                    group.addTask { await waitForPlanChange(from: version, every: every) }
                    await group.next()
                    group.cancelAll()
                }
            }
            plan = await holder.current?.plan ?? plan
        }
    }

    private func repeatCheck(_ check: ServiceCheck, every interval: Duration, retry: Duration) async {
        try? await Task.sleep(for: interval * Double.random(in: 0...0.5))
        let runner = ServiceRunner()
        var afterRetry = false
        while !Task.isCancelled {
            var options = ServiceTarget.Options()
            options.caFile = caFile
            let outcome = await runner.run(ServiceTarget(check: check, timeout: timeout, options: options))
            if Task.isCancelled { return }
            await results.record(outcome)
            if !outcome.result.ok {
                logger.notice("service check failed", metadata: ["service": "\(check.name)", "reason": "\(outcome.result.reason ?? "")"])
            }
            let next = CheckCadence.next(ok: outcome.result.ok, afterRetry: afterRetry, interval: interval, retry: retry)
            afterRetry = next.isRetry
            try? await Task.sleep(for: next.delay)
        }
    }

    private func waitForPlanChange(from version: String, every interval: Duration) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: min(interval, .seconds(30)))
            if let current = await holder.current?.plan.version, current != version { return }
        }
    }
}

/// Starts the plan's throughput tests when its policy allows (window, how often, daily byte budget: see
/// `ThroughputSchedule`), one link after another, each against its servers until one measures: the profile's
/// list rotated to start at the office's own place (`ServerOrder.rotated`), so that offices sharing servers do not
/// all ask the first one. A round in which no server measured and one was busy is no test: it is asked again after
/// a short back-off (`ServerOrder.busyRetry`: 1 s doubling, at most the poll), not at the next poll. The history
/// the budget is kept against survives restarts (`throughput-history.json` in the state directory), and so does the
/// last measurement of each link (`throughput-last.json`): a restarted agent reports it until its next test, instead
/// of `NO_DATA` for up to `every_hours` (the collector still ages it by the link's `max_measurement_age_hours`).
struct ThroughputService: Service {
    let holder: PlanHolder
    let results: LatestResults
    let historyFile: URL
    /// How often the policy is asked whether a test may start.
    let poll: Duration
    /// The office's site code: where in the server list it starts.
    var site: String = ""
    var metrics: AgentMetrics?
    let logger: Logger

    /// What a round of tests came to: bytes moved (charged whatever the outcome), and whether it counts as a test.
    struct RoundResult {
        var bytes: Int64
        /// A link found no free server (and none measured): the round is asked again soon.
        var busy = false
        /// A link was measured. A round that only failed (every server of every link failing, none busy) is not a
        /// test either: its failure is reported and the next poll tries again, so a line back after an outage is
        /// measured within a poll, not `every_hours` later.
        var measured = false
        var tested: Bool { measured && !busy }
        /// The links' new measurements (a failed test included).
        var measurements: [LinkRole: ThroughputMeasurement] = [:]
    }

    var lastFile: URL { historyFile.deletingLastPathComponent().appendingPathComponent("throughput-last.json") }

    func run() async throws {
        guard (try? await cancelWhenGracefulShutdown({ try await holder.first() })) != nil else { return }
        var history = (try? Data(contentsOf: historyFile)).flatMap {
            try? ReportCoding.decoder().decode(ThroughputSchedule.History.self, from: $0)
        } ?? ThroughputSchedule.History()
        var refusedDay: String?
        var busyRounds = 0
        var last = (try? Data(contentsOf: lastFile)).flatMap {
            try? ReportCoding.decoder().decode([LinkRole: ThroughputMeasurement].self, from: $0)
        } ?? [:]
        for (role, measurement) in last { await results.record(measurement, for: role) }
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            var wait = poll
            if let plan = await holder.current?.plan {
                let schedule = ThroughputSchedule(policy: plan.profile.throughput)
                let now = Date()
                defer {
                    metrics?.throughput(bytesToday: history.bytesByDay[schedule.budgetDay(Date())] ?? 0,
                                        budget: plan.profile.throughput.dailyByteBudget)
                }
                // A test that would not fit in what is left of the day's budget is not started.
                let estimate = Self.estimatedBytes(plan.profile)
                switch schedule.decide(now: now, history: history, estimatedBytes: estimate) {
                case .run:
                    if let round = await testEveryLink(plan.profile) {
                        if round.tested {
                            busyRounds = 0
                            history = schedule.recording(history, start: now, bytes: round.bytes)
                        } else {
                            // Not a test (the last start stays), but what failed attempts moved is charged.
                            history.bytesByDay[schedule.budgetDay(now), default: 0] += round.bytes
                            if round.busy {
                                wait = ServerOrder.busyRetry(afterBusyRounds: busyRounds, poll: poll)
                                busyRounds += 1
                            }
                        }
                        if !round.measurements.isEmpty {
                            last.merge(round.measurements) { $1 }
                            do {
                                try await DurableFile.replaceOffPool(lastFile, with: ReportCoding.encoder().encode(last))
                            } catch {
                                logger.error("cannot save the last throughput measurement", metadata: ["file": "\(lastFile.path)", "error": "\(error)"])
                            }
                        }
                        if round.tested || round.bytes > 0 {
                            do {
                                try await DurableFile.replaceOffPool(historyFile, with: ReportCoding.encoder().encode(history))
                            } catch {
                                logger.error("cannot save the throughput history", metadata: ["file": "\(historyFile.path)", "error": "\(error)"])
                            }
                        }
                        if round.tested {
                            let budget = schedule.budget(now: now, history: history)
                            logger.info("throughput budget", metadata: [
                                "day": "\(budget.day)", "charged_bytes": "\(round.bytes)", "used_bytes": "\(budget.used)",
                                "left_bytes": "\(budget.left)", "budget_bytes": "\(budget.total)",
                            ])
                        }
                    }
                case .wait(.budgetExhausted, let until):
                    let budget = schedule.budget(now: now, history: history)
                    if refusedDay != budget.day {
                        refusedDay = budget.day
                        logger.warning("throughput test not started: it would exceed the daily byte budget", metadata: [
                            "day": "\(budget.day)", "estimated_bytes": "\(estimate)", "used_bytes": "\(budget.used)",
                            "left_bytes": "\(budget.left)", "budget_bytes": "\(budget.total)",
                            "next_window": "\(until.map { "\($0)" } ?? "none")",
                        ])
                    }
                case .wait:
                    break
                }
            }
            await pause(wait)
        }
    }

    /// The first second of every test is not counted (iperf3's `--omit 1`): TCP's slow start, and on a loaded host
    /// the streams' threads getting going, are not the line's rate. On a short test it weighed a third of the result
    /// (a 250 Mbit/s line measured 169 Mbit/s upload in 3 s: 80 in the first second, 236–240 after).
    static let omitSeconds = 1

    /// What one round (every link judged by throughput that has servers) may move: see `ThroughputSchedule.estimatedBytes`
    /// (the omitted second moves data too).
    static func estimatedBytes(_ profile: Profile) -> Int64 {
        let policy = profile.throughput
        return profile.links.filter { $0.role.judgedBy == .throughput && !(policy.servers[$0.role] ?? []).isEmpty }
            .reduce(Int64(0)) { total, link in
                let directions = Set(link.directions.isEmpty ? policy.directions : link.directions).count
                return total + ThroughputSchedule.estimatedBytes(targetMbps: link.targetMbps, directions: directions,
                                                                 durationSeconds: policy.durationSeconds + omitSeconds)
            }
    }

    /// Tests each link judged by throughput that has servers; nil when no link has any. A link whose servers were all
    /// busy or failing, one at least busy, keeps its previous measurement and makes the round no test
    /// (`RoundResult.busy`): offices sharing servers take turns. A link whose every server failed otherwise gets the
    /// last failure as its measurement, and the round is no test either (retried at the next poll).
    private func testEveryLink(_ profile: Profile) async -> RoundResult? {
        let policy = profile.throughput
        var result: RoundResult?
        for target in profile.links where target.role.judgedBy == .throughput {
            let servers = ServerOrder.rotated(policy.servers[target.role] ?? [], site: site)
            guard !servers.isEmpty else { continue }
            var round = result ?? RoundResult(bytes: 0)
            var measurement: ThroughputMeasurement?
            var attempts: [ServerOrder.Attempt] = []
            for server in servers {
                let attempt = await test(server: server, policy: policy, directions: target.directions)
                round.bytes += attempt.bytes
                let outcome: ServerOrder.Attempt = attempt.measurement.error == nil ? .measured : attempt.busy ? .busy : .failed
                attempts.append(outcome)
                if outcome != .busy || measurement == nil { measurement = attempt.measurement }
                if outcome == .measured { break }
                if outcome == .failed {
                    logger.notice("throughput test failed; trying the next server", metadata: [
                        "link": "\(target.role.rawValue)", "server": "\(server)", "error": "\(attempt.measurement.error ?? "")",
                    ])
                }
            }
            if ServerOrder.round(attempts) == .busy {
                logger.info("no throughput server free; trying again shortly", metadata: [
                    "link": "\(target.role.rawValue)", "servers": "\(servers.joined(separator: ","))",
                    "busy": "\(attempts.filter { $0 == .busy }.count)", "failed": "\(attempts.filter { $0 == .failed }.count)",
                ])
                round.busy = true
                result = round
                continue
            }
            if attempts.contains(.measured) { round.measured = true }
            if let measurement {
                round.measurements[target.role] = measurement
                await results.record(measurement, for: target.role)
                logger.info("throughput measured", metadata: [
                    "link": "\(target.role.rawValue)", "server": "\(measurement.server)",
                    "mbps": "\(measurement.mbps.map { "\($0.key.rawValue)=\(Int($0.value))" }.sorted().joined(separator: ","))",
                    "error": "\(measurement.error ?? "")",
                ])
            }
            result = round
        }
        return result
    }

    private func test(server: String, policy: ThroughputPolicy, directions: [ThroughputDirection]) async
        -> (measurement: ThroughputMeasurement, bytes: Int64, busy: Bool) {
        let now = Date()
        guard let address = ThroughputConfiguration.parseServer(server) else {
            return (ThroughputMeasurement(server: server, measuredAt: now, mbps: [:], error: "bad server address \"\(server)\""), 0, false)
        }
        let wanted = Set(directions.isEmpty ? policy.directions : directions)
        let mode: ThroughputMode = wanted.count > 1 ? .bidirectional : wanted.contains(.download) ? .reverse : .forward
        let configuration = ThroughputConfiguration(
            host: address.host, port: address.port, mode: mode, parallel: policy.parallelStreams,
            durationSeconds: policy.durationSeconds, omitSeconds: Self.omitSeconds)
        do {
            let result = try await ThroughputClient().run(configuration)
            let moved = (result.upload?.senderBytes ?? 0) + (result.download?.receiverBytes ?? 0)
            return (result.measurement(), Int64(clamping: moved), false)
        } catch {
            // A failed or partial test used the link too: what its streams moved is charged.
            return (error.measurement(server: server, at: now), Int64(clamping: error.bytesMoved), error.code == .serverBusy)
        }
    }
}
