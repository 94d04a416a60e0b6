/// The order in which an office tries its profile's throughput servers, and what a round of attempts amounts to.
/// Pure: the caller passes the site code and the outcome of each attempt.
public enum ServerOrder {
    /// The servers rotated to start at a place fixed by the site code (FNV-1a of its UTF-8 bytes, mixed with
    /// splitmix64's finaliser: FNV's low bits alone put a third of 93 similar codes on one of six): offices that
    /// share a list spread their first attempts over all its servers instead of all asking the first one, and an
    /// office keeps its first choice from one test to the next (its results stay comparable). The relative order,
    /// and so the fallback, is the profile's.
    public static func rotated(_ servers: [String], site: String) -> [String] {
        guard servers.count > 1 else { return servers }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in site.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        hash = (hash ^ (hash >> 30)) &* 0xbf58_476d_1ce4_e5b9
        hash = (hash ^ (hash >> 27)) &* 0x94d0_49bb_1331_11eb
        hash ^= hash >> 31
        let start = Int(hash % UInt64(servers.count))
        return Array(servers[start...] + servers[..<start])
    }

    /// What one attempt on one server came to.
    public enum Attempt: Sendable, Hashable {
        case measured
        /// ACCESS_DENIED: another office's test runs there.
        case busy
        /// Any other failure (unreachable, timeout, reset, protocol).
        case failed
    }

    /// What a round over one link's servers means for the schedule.
    public enum Round: Sendable, Hashable {
        /// A server measured the link: the round is a test.
        case measured
        /// No server measured, and at least one was busy: the line reached a server, which only had another office's
        /// test running. No test: nothing recorded, try again soon (`busyRetry`).
        case busy
        /// Every server failed without being busy: the failure is the result (a dead line shows here).
        case failed
    }

    public static func round(_ attempts: [Attempt]) -> Round {
        if attempts.contains(.measured) { return .measured }
        return attempts.contains(.busy) ? .busy : .failed
    }

    /// The wait before asking again after `rounds` busy rounds in a row (0 for the first): 1 s doubling, never more
    /// than `poll`, drawn in its upper half (`fraction` 0…1) so that offices waiting together spread out.
    public static func busyRetry(afterBusyRounds rounds: Int, poll: Duration, fraction: Double = Double.random(in: 0...1)) -> Duration {
        let ceiling = min(poll, .seconds(Double(1 << min(max(rounds, 0), 20))))
        return ceiling * (0.5 + 0.5 * min(max(fraction, 0), 1))
    }
}
