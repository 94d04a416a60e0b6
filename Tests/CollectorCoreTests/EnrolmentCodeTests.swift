import CollectorCore
import Foundation
import Testing

@Suite struct EnrolmentCodeTests {
    @Test func codesAreThreeGroupsOfFourWithoutLookAlikes() {
        #expect(!Enrolment.alphabet.contains { "01ILO".contains($0) })
        #expect(Enrolment.format("7KQ4M2XD9PHA") == "7KQ4-M2XD-9PHA")
        #expect(Enrolment.normalized(" 7kq4 m2xd-9pha ") == "7KQ4-M2XD-9PHA")
        #expect(Enrolment.normalized("7KQ4-M2XD-9PL") == nil, "eleven symbols")
        #expect(Enrolment.normalized("7KQ4-M2XD-9PL0") == nil, "a zero is not in the alphabet")
    }

    @Test func theRateLimitAllowsABurstPerClientThenRefillsAndSharesAGlobalBudget() {
        let t0 = Date(timeIntervalSince1970: 1_780_000_000)
        var limiter = RateLimiter(perClient: 2, perClientRefill: 10, global: 3, globalRefill: 100)
        let answers = [("a", 0.0), ("a", 0), ("a", 0), ("a", 10), ("b", 10), ("b", 110)].map { client, seconds in
            limiter.allow(client, now: t0.addingTimeInterval(seconds))
        }
        // Two at once for "a", a third refused; one more after a refill period; then the global budget of 3 is
        // spent for "b" until the global bucket refills.
        #expect(answers == [true, true, false, true, false, true])
    }
}
