import SystemSupport

extension BlockingPool {
    /// Runs a net-snmp call on the session's thread; `sessionClosed` when the session closed before it ran.
    func perform<T: Sendable>(_ body: @escaping @Sendable () throws(SNMPError) -> T) async throws(SNMPError) -> T {
        guard let result = await runIfOpen({ Result { () throws(SNMPError) in try body() } }) else {
            throw SNMPError(.sessionClosed, "the SNMP session is closed")
        }
        return try result.get()
    }
}
