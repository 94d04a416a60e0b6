import Foundation
import ReadinessModel
import Testing
import TestSupport
@testable import AgentDaemon

/// The systemd watchdog is fed from the agent's progress: a loop stuck in one step past its limit stops the
/// pings (and says so in STATUS=), a loop that waits does not, and pings resume once it moves again.
@Suite(.serialized) struct WatchdogTests {
    @Test func aStuckLoopStopsThePingsAndProgressResumesThem() async throws {
        try await withTemporaryDirectory { directory in
            let socket = try NotifySocket(directory: directory)
            // WATCHDOG_USEC of 200 ms: a ping every 100 ms while the agent makes progress.
            let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "200000"])
            let progress = AgentProgress()
            progress.register("reporter", limit: .seconds(5))
            progress.register("sender", limit: .seconds(5))
            progress.idle("reporter")
            progress.idle("sender")  // waiting for work, however long: healthy
            let service = SystemdService(notifier: notifier, holder: PlanHolder(), progress: progress)
            let feeding = Task { try await service.feedWatchdog() }
            defer { feeding.cancel() }

            var healthy: [String] = []
            try await collect(socket, into: &healthy, "pings while the loops wait") { $0.filter { $0 == "WATCHDOG=1" }.count >= 2 }
            // The reporter has been in one step for 10 s, past its limit of 5 (dated back: no timing to race).
            progress.busy("reporter", "gathering and spooling a report", at: .now - .seconds(10))
            var stuck: [String] = []
            try await collect(socket, into: &stuck, "STATUS=stuck") {
                $0.contains { $0.hasPrefix("STATUS=stuck: reporter stuck in gathering and spooling a report") }
            }
            // From then on, not one ping over several intervals.
            try await Task.sleep(for: .milliseconds(800))
            let silent = socket.receive()
            #expect(!silent.contains("WATCHDOG=1"), "still fed although the reporter is stuck: \(silent)")

            progress.idle("reporter")
            var again: [String] = []
            try await collect(socket, into: &again, "pings again after progress") { $0.contains("WATCHDOG=1") }
        }
    }

    /// Receives datagrams until `done` holds, sleeping between tries (the feeder is a task: a blocking wait could
    /// starve it on a loaded pool); fails after 30 s.
    func collect(_ socket: NotifySocket, into received: inout [String], _ what: String,
                 until done: ([String]) -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            received += socket.receive()
            if done(received) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSetupFailure(description: "timed out after 30 s waiting for \(what): \(received)")
    }

    @Test func stallsNameTheLoopAndTheStep() {
        let progress = AgentProgress()
        progress.register("sender", limit: .seconds(10))
        let start = ContinuousClock.now
        progress.busy("sender", "sending a batch", at: start)
        #expect(progress.stalls(at: start + .seconds(9)).isEmpty)
        #expect(progress.stalls(at: start + .seconds(11)).map(\.loop) == ["sender"])
        progress.idle("sender")
        #expect(progress.stalls(at: start + .seconds(3600)).isEmpty)
    }

    /// The daemon asks the throughput policy with what a round may move (not 0), so a round that would
    /// exceed the day's budget is not started.
    @Test func aThroughputRoundIsEstimatedFromItsLinks() {
        var policy = ThroughputPolicy(dailyByteBudget: 1_000_000_000)
        policy.servers = [.internet: ["198.18.0.1:5201"]]
        policy.durationSeconds = 10
        policy.directions = [.upload, .download]
        let profile = Profile(name: "p", links: [LinkTarget(role: .internet, targetMbps: 100), LinkTarget(role: .lan, targetMbps: 1000)],
                              throughput: policy)
        // Only the internet link has servers and is judged by throughput: 100 Mbit/s both ways, 10 s and the omitted
        // first second, +10 %.
        #expect(ThroughputService.estimatedBytes(profile) == 302_500_000)
    }
}
