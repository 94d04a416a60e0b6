import CollectorCore
import Foundation
import Testing

@Suite struct EnrolmentCodeTests {
    @Test func codesAreThreeGroupsOfFourWithoutLookAlikes() {
        #expect(!Enrolment.alphabet.contains { "01ILO".contains($0) })
        #expect(Enrolment.format("7KQ4M2XD9PLA") == "7KQ4-M2XD-9PLA")
        #expect(Enrolment.normalized(" 7kq4 m2xd-9pla ") == "7KQ4-M2XD-9PLA")
        #expect(Enrolment.normalized("7KQ4-M2XD-9PL") == nil, "eleven symbols")
        #expect(Enrolment.normalized("7KQ4-M2XD-9PL0") == nil, "a zero is not in the alphabet")
    }

    @Test func theRateLimitAllowsABurstPerClientThenRefillsAndSharesAGlobalBudget() {
        let t0 = Date(timeIntervalSince1970: 1_780_000_000)
        var limiter = RateLimiter(perClient: 2, perClientRefill: 10, global: 3, globalRefill: 100)
        #expect(limiter.allow("a", now: t0))
        #expect(limiter.allow("a", now: t0))
        #expect(!limiter.allow("a", now: t0), "a third attempt at once")
        #expect(limiter.allow("a", now: t0.addingTimeInterval(10)), "one more after a refill period")
        #expect(!limiter.allow("b", now: t0.addingTimeInterval(10)), "the global budget of 3 is spent")
        #expect(limiter.allow("b", now: t0.addingTimeInterval(110)))
    }
}
