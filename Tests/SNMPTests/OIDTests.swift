import SNMP
import Testing

@Suite struct OIDTests {
    @Test func parsesWithAndWithoutLeadingDot() async throws {
        #expect(try OID("1.3.6.1.2.1.1.5.0").components == [1, 3, 6, 1, 2, 1, 1, 5, 0])
        #expect(try OID(".1.3.6.1.2.1.1.5.0") == OID("1.3.6.1.2.1.1.5.0"))
        #expect(try OID("1.3.6.1.4.1.4294967295").components.last == 4_294_967_295)
        #expect(try OID(".1.3.6.1").description == "1.3.6.1")
    }

    @Test(arguments: ["", ".", "1..3", "1.3.", "1.3.x", "sysName.0", "1.3.-6", "1.3.4294967296", "1. 3", "1.３", "2"])
    func rejectsMalformed(_ text: String) {
        #expect(throws: SNMPError.self) { try OID(text) }
        do { _ = try OID(text) } catch { #expect(error.code == .badOID) }
    }

    @Test func rejectsTooLongAndEmpty() {
        #expect(throws: SNMPError.self) { try OID(Array(repeating: 1, count: 129)) }
        #expect(throws: SNMPError.self) { try OID([]) }
        #expect(throws: SNMPError.self) { try OID([1, 3, UInt(UInt32.max) + 1]) }
        #expect((try? OID(Array(repeating: 1, count: 128))) != nil)
    }

    @Test func prefixAndOrder() async throws {
        let ifDescr = try OID("1.3.6.1.2.1.2.2.1.2")
        #expect(ifDescr.isPrefix(of: try ifDescr.appending(1)))
        #expect(ifDescr.isPrefix(of: ifDescr))
        #expect(!ifDescr.isPrefix(of: try OID("1.3.6.1.2.1.2.2.1.20")))
        #expect(!ifDescr.isPrefix(of: try OID("1.3.6.1.2.1.2.2.1")))
        // Lexicographic by sub-identifier, not by text: 2.1 < 2.10 < 3, and a prefix comes first.
        let sorted = try ["1.3.6.1.2.1.2.2.1.3", "1.3.6.1.2.1.2.2.1.2.10", "1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.2.2.1.2.9"]
            .map { try OID($0) }.sorted()
        #expect(sorted.map(\.description) == [
            "1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.2.2.1.2.9", "1.3.6.1.2.1.2.2.1.2.10", "1.3.6.1.2.1.2.2.1.3",
        ])
    }

    @Test func redactsSecrets() {
        let security = SNMPv3Security(user: "noc", authPassphrase: "auth-secret-1", privacyPassphrase: "priv-secret-1")
        let texts = ["\(security)", String(reflecting: security), "\(SNMPVersion.v3(security))", "\(SNMPVersion.v2c(community: "c0mmunity"))"]
        for text in texts {
            #expect(!text.contains("secret") && !text.contains("c0mmunity"), "\(text)")
        }
    }

    @Test func rejectsUnusableConfigurations() async {
        let short = SNMPSessionConfiguration(version: .v3(SNMPv3Security(user: "u", authPassphrase: "short", privacyPassphrase: "long-enough")))
        let noUser = SNMPSessionConfiguration(version: .v3(SNMPv3Security(level: .noAuthNoPriv)))
        let zeroTimeout = SNMPSessionConfiguration(timeout: .zero)
        for configuration in [short, noUser, zeroTimeout] {
            do {
                _ = try await SNMPSession.open(configuration)
                Issue.record("opened \(configuration.version)")
            } catch {
                #expect(error.code == .invalidArgument)
            }
        }
    }
}
