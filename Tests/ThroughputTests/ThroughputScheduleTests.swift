import Foundation
import ReadinessModel
import Testing

@testable import Throughput

@Suite struct ThroughputScheduleTests {
    let zone = TimeZone(identifier: "Asia/Ho_Chi_Minh")!
    var schedule: ThroughputSchedule { ThroughputSchedule(policy: ThroughputPolicy(dailyByteBudget: 1_000_000_000), timeZone: zone) }

    /// A local time in Vietnam on November `day`, 2026.
    func at(_ day: Int, _ hour: Int, _ minute: Int = 0) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar.date(from: DateComponents(year: 2026, month: 11, day: day, hour: hour, minute: minute))!
    }

    @Test(arguments: [(22, 0, true), (23, 59, true), (0, 0, true), (4, 59, true), (5, 0, false), (12, 0, false), (21, 59, false)])
    func theDefaultWindowCrossesMidnight(hour: Int, minute: Int, inside: Bool) {
        #expect(schedule.isInsideWindow(at(10, hour, minute)) == inside)
    }

    @Test func insideTheWindowATestRuns() {
        #expect(schedule.decide(now: at(10, 23), history: .init()) == .run(byteAllowance: 1_000_000_000))
    }

    @Test func outsideTheWindowItWaitsForTheNextOpening() {
        #expect(schedule.decide(now: at(10, 14), history: .init()) == .wait(.outsideWindow, until: at(10, 22)))
        #expect(schedule.decide(now: at(10, 5, 30), history: .init()) == .wait(.outsideWindow, until: at(10, 22)))
    }

    @Test func byHandItRunsOutsideTheWindow() {
        #expect(schedule.decide(now: at(10, 14), history: .init(), manual: true) == .run(byteAllowance: 1_000_000_000))
    }

    @Test func dailyMeansOncePerNightAcrossMidnight() {
        // Ran at 23:00 on the 10th: at 02:00 on the 11th it is the same night, so not again.
        let history = schedule.recording(.init(), start: at(10, 23), bytes: 100)
        #expect(schedule.decide(now: at(11, 2), history: history) == .wait(.tooSoon, until: at(11, 22)))
        // The next night, even a little less than 24 h later, it runs.
        #expect(schedule.decide(now: at(11, 22, 30), history: history) == .run(byteAllowance: 1_000_000_000))
    }

    @Test func theBudgetDayIsTheNightTheWindowOpened() {
        #expect(schedule.budgetDay(at(11, 2)) == "2026-11-10")
        #expect(schedule.budgetDay(at(10, 23)) == "2026-11-10")
        #expect(schedule.budgetDay(at(11, 12)) == "2026-11-11")
    }

    /// A test whose estimate does not fit in what is left is refused; the budget's state says why.
    @Test func aTestThatWouldExceedTheBudgetIsRefused() {
        // 100 Mbit/s both ways for 10 s: 250 MB, plus 10 %.
        let estimate = ThroughputSchedule.estimatedBytes(targetMbps: 100, directions: 2, durationSeconds: 10)
        #expect(estimate == 275_000_000)
        let history = ThroughputSchedule.History(bytesByDay: ["2026-11-10": 800_000_000])
        #expect(schedule.decide(now: at(10, 23), history: history, estimatedBytes: 100_000_000) == .run(byteAllowance: 200_000_000))
        guard case .wait(.budgetExhausted, _) = schedule.decide(now: at(10, 23), history: history, estimatedBytes: estimate) else {
            Issue.record("a 275 MB test started with 200 MB left")
            return
        }
        let budget = schedule.budget(now: at(10, 23), history: history)
        #expect(budget.day == "2026-11-10" && budget.used == 800_000_000 && budget.left == 200_000_000 && budget.total == 1_000_000_000)
    }

    @Test func anExhaustedBudgetWaitsForTheNextNight() {
        var policy = ThroughputPolicy(everyHours: 1, dailyByteBudget: 1_000)
        policy.windowStart = "22:00"
        let schedule = ThroughputSchedule(policy: policy, timeZone: zone)
        var history = schedule.recording(.init(), start: at(10, 22), bytes: 600)
        #expect(schedule.decide(now: at(10, 23, 30), history: history) == .run(byteAllowance: 400))
        // A test expected to move more than what is left does not start.
        #expect(schedule.decide(now: at(10, 23, 30), history: history, estimatedBytes: 500) == .wait(.budgetExhausted, until: at(11, 22)))
        history = schedule.recording(history, start: at(10, 23, 30), bytes: 400)
        #expect(schedule.decide(now: at(11, 1), history: history) == .wait(.budgetExhausted, until: at(11, 22)))
        // The next night has a fresh budget.
        #expect(schedule.decide(now: at(11, 22, 30), history: history) == .run(byteAllowance: 1_000))
    }

    @Test func hourlyPolicyWaitsItsHours() {
        let schedule = ThroughputSchedule(policy: ThroughputPolicy(everyHours: 2), timeZone: zone)
        let history = schedule.recording(.init(), start: at(10, 22), bytes: 1)
        #expect(schedule.decide(now: at(10, 23), history: history) == .wait(.tooSoon, until: at(11, 0)))
        if case .run = schedule.decide(now: at(11, 0), history: history) {} else { Issue.record("due after 2 h") }
    }

    @Test func aWindowThatDoesNotCrossMidnight() {
        let schedule = ThroughputSchedule(policy: ThroughputPolicy(windowStart: "01:00", windowEnd: "04:00"), timeZone: zone)
        #expect(schedule.isInsideWindow(at(10, 2)))
        #expect(!schedule.isInsideWindow(at(10, 23)))
        #expect(schedule.decide(now: at(10, 23), history: .init()) == .wait(.outsideWindow, until: at(11, 1)))
    }

    @Test func aBadWindowNeverRuns() {
        let schedule = ThroughputSchedule(policy: ThroughputPolicy(windowStart: "25:00"), timeZone: zone)
        #expect(schedule.decide(now: at(10, 23), history: .init()) == .wait(.invalidWindow, until: nil))
    }
}
