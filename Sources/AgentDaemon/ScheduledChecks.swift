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

/// Runs each service check of the plan on its own loop (every `interval`, the first after a random part of it),
/// so that a hanging target delays nothing but its own next result. Restarts the loops when the plan changes.
struct ServiceCheckService: Service {
    let holder: PlanHolder
    let results: LatestResults
    /// Nil: the plan's report interval.
    let interval: Duration?
    let timeout: Duration
    /// The CA file tls/https checks trust instead of the system store; nil: the system store.
    var caFile: String?
    let logger: Logger

    func run() async throws {
        guard let first = try? await cancelWhenGracefulShutdown({ try await holder.first() }) else { return }
        var plan = first.plan
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let every = interval ?? .seconds(max(1, plan.reportIntervalSeconds))
            let (checks, version) = (plan.profile.services, plan.version)
            await cancelWhenGracefulShutdown {
                await withTaskGroup(of: Void.self) { group in
                    for check in checks {
                        group.addTask { await repeatCheck(check, every: every) }
                    }
                    group.addTask { await waitForPlanChange(from: version, every: every) }
                    await group.next()
                    group.cancelAll()
                }
            }
            plan = await holder.current?.plan ?? plan
        }
    }

    private func repeatCheck(_ check: ServiceCheck, every interval: Duration) async {
        try? await Task.sleep(for: interval * Double.random(in: 0...0.5))
        let runner = ServiceRunner()
        while !Task.isCancelled {
            var options = ServiceTarget.Options()
            options.caFile = caFile
            let outcome = await runner.run(ServiceTarget(check: check, timeout: timeout, options: options))
            if Task.isCancelled { return }
            await results.record(outcome)
            if !outcome.result.ok {
                logger.notice("service check failed", metadata: ["service": "\(check.name)", "reason": "\(outcome.result.reason ?? "")"])
            }
            try? await Task.sleep(for: interval)
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
/// `ThroughputSchedule`), one link after another, each against its servers in order until one answers. The
/// history the budget is kept against survives restarts (`throughput-history.json` in the state directory).
struct ThroughputService: Service {
    let holder: PlanHolder
    let results: LatestResults
    let historyFile: URL
    /// How often the policy is asked whether a test may start.
    let poll: Duration
    var metrics: AgentMetrics?
    let logger: Logger

    func run() async throws {
        guard (try? await cancelWhenGracefulShutdown({ try await holder.first() })) != nil else { return }
        var history = (try? Data(contentsOf: historyFile)).flatMap {
            try? ReportCoding.decoder().decode(ThroughputSchedule.History.self, from: $0)
        } ?? ThroughputSchedule.History()
        var refusedDay: String?
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
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
                    if let bytes = await testEveryLink(plan.profile) {
                        history = schedule.recording(history, start: now, bytes: bytes)
                        do {
                            try await DurableFile.replaceOffPool(historyFile, with: ReportCoding.encoder().encode(history))
                        } catch {
                            logger.error("cannot save the throughput history", metadata: ["file": "\(historyFile.path)", "error": "\(error)"])
                        }
                        let budget = schedule.budget(now: now, history: history)
                        logger.info("throughput budget", metadata: [
                            "day": "\(budget.day)", "charged_bytes": "\(bytes)", "used_bytes": "\(budget.used)",
                            "left_bytes": "\(budget.left)", "budget_bytes": "\(budget.total)",
                        ])
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
            await pause(poll)
        }
    }

    /// What one round (every link judged by throughput that has servers) may move: see `ThroughputSchedule.estimatedBytes`.
    static func estimatedBytes(_ profile: Profile) -> Int64 {
        let policy = profile.throughput
        return profile.links.filter { $0.role.judgedBy == .throughput && !(policy.servers[$0.role] ?? []).isEmpty }
            .reduce(Int64(0)) { total, link in
                let directions = Set(link.directions.isEmpty ? policy.directions : link.directions).count
                return total + ThroughputSchedule.estimatedBytes(targetMbps: link.targetMbps, directions: directions,
                                                                 durationSeconds: policy.durationSeconds)
            }
    }

    /// Tests each link judged by throughput that has servers; the bytes moved, or nil when no link has any, or when
    /// every server of every link was busy with another office's test: such a round is no test (nothing is recorded,
    /// the previous measurement stays) and the next poll tries again — offices sharing servers take turns.
    private func testEveryLink(_ profile: Profile) async -> Int64? {
        let policy = profile.throughput
        var bytes: Int64?
        var everyServerBusy = true
        for target in profile.links where target.role.judgedBy == .throughput {
            let servers = policy.servers[target.role] ?? []
            guard !servers.isEmpty else { continue }
            var measurement: ThroughputMeasurement?
            var busy = 0
            for server in servers {
                let attempt = await test(server: server, policy: policy, directions: target.directions)
                bytes = (bytes ?? 0) + attempt.bytes
                measurement = attempt.measurement
                if attempt.busy { busy += 1 }
                if attempt.measurement.error == nil { break }
            }
            if busy == servers.count {
                logger.info("every throughput server is busy; trying again at the next poll", metadata: [
                    "link": "\(target.role.rawValue)", "servers": "\(servers.joined(separator: ","))",
                ])
                continue
            }
            everyServerBusy = false
            if let measurement {
                await results.record(measurement, for: target.role)
                logger.info("throughput measured", metadata: [
                    "link": "\(target.role.rawValue)", "server": "\(measurement.server)",
                    "mbps": "\(measurement.mbps.map { "\($0.key.rawValue)=\(Int($0.value))" }.sorted().joined(separator: ","))",
                    "error": "\(measurement.error ?? "")",
                ])
            }
        }
        return everyServerBusy ? nil : bytes
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
            durationSeconds: policy.durationSeconds)
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
