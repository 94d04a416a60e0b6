import AgentProbes
import Foundation
import Presentation
import ReadinessModel
import Testing
import TestSupport

@testable import FieldCheck

/// The field check on real interfaces: a veth pair made by the test is a 10 Gbit/s NIC as far as the kernel says.
@Suite struct FieldCheckOnRealInterfaceTests {
    func check(uplink: String, profile: Profile) async -> FieldCheckResult {
        await FieldCheck(configuration: .init(profile: profile, evidence: .init(uplink: uplink, lldp: .init(wait: .seconds(1))))).run()
    }

    @Test func tenGigabitUplinkMeetsTheBuiltInLANTarget() async throws {
        let pair = try LocalVethPair()
        let result = await check(uplink: pair.name, profile: FieldCheck.builtInProfile)
        let lan = try #require(result.report.link(.lan))
        let nic = try #require(lan.speed.first { $0.source == .nic })
        #expect(nic.speedMbps == 10_000)
        #expect(nic.facts["driver"] == "veth")
        // No switch configured, no LLDP neighbour on a bare veth: unknown with the reason, never zero.
        #expect(lan.speed.first { $0.source == .snmp }?.error == "not configured")
        #expect(lan.speed.first { $0.source == .lldp }?.error?.hasPrefix("no LLDP frame within") == true)
        #expect(result.verdict?.state == .ready)
        #expect(result.exitCode == 0)
        #expect(result.interfaces.contains { $0.interface == pair.name && $0.speedMbps == 10_000 })
    }

    @Test func uplinkBelowTargetIsCritical() async throws {
        let pair = try LocalVethPair()
        let profile = Profile(name: "25g", links: [LinkTarget(role: .lan, targetMbps: 25_000)])
        let result = await check(uplink: pair.name, profile: profile)
        #expect(result.verdict?.state == .notReady)
        #expect(result.verdict?.reasons.map(\.description) == ["LINK_BELOW_TARGET:lan"])
        #expect(result.exitCode == 2)
    }

    @Test func missingUplinkIsUnknownWithTheError() async throws {
        let result = await check(uplink: "sansang-none0", profile: FieldCheck.builtInProfile)
        let nic = try #require(result.report.link(.lan)?.speed.first { $0.source == .nic })
        #expect(nic.speedMbps == nil)
        #expect(nic.error?.contains("sansang-none0") == true)
        #expect(result.verdict?.state == .unknown)
        #expect(result.verdict?.reasons.map(\.description) == ["NO_DATA:lan"])
        #expect(result.exitCode == 3)
    }

    @Test func checksThisBuildCannotRunAreListedAsNotConfigured() async throws {
        let pair = try LocalVethPair()
        let profile = Profile(
            name: "office",
            links: [LinkTarget(role: .lan, targetMbps: 10_000), LinkTarget(role: .wan, targetMbps: 200)],
            services: [ServiceCheck(name: "vneid", kind: .https, host: "vneid.gov.vn")])
        let result = await check(uplink: pair.name, profile: profile)
        #expect(result.notConfigured == ["throughput:wan", "service:vneid"])
        #expect(result.verdict?.state == .unknown)
        #expect(Set(result.verdict?.reasons.map(\.description) ?? []) == ["NO_DATA:wan", "NO_DATA:vneid"])

        let vietnamese = FieldCheckTable(language: .vi).render(result)
        #expect(vietnamese.contains("chưa cấu hình"))
        #expect(vietnamese.contains("KHÔNG RÕ (UNKNOWN) — mã thoát 3"))
        #expect(vietnamese.contains("\(pair.name) *"))
        #expect(vietnamese == vietnamese.precomposedStringWithCanonicalMapping, "Vietnamese output is NFC")
        let english = FieldCheckTable(language: .en).render(result)
        #expect(english.contains("UNKNOWN — exit code 3"))
        #expect(english.contains("not configured"))
    }
}

/// `sansang-agent check` as a field technician runs it: exit codes, JSON, configuration errors.
@Suite struct SansangAgentCheckCommandTests {
    @Test func checkAgainstTheExampleInventoryPrintsJSON() throws {
        let run = try runProgram("sansang-agent", ["check", "--inventory", "inventory", "--site", "20242", "--json"])
        // Services and the WAN test are not run by this build, so the honest verdict is UNKNOWN (3).
        #expect(run.status == 3, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect((json["site"] as? [String: Any])?["name"] as? String == "Phường Hải Châu")
        #expect((json["verdict"] as? [String: Any])?["state"] as? String == "unknown")
        let interfaces = try #require(json["interfaces"] as? [[String: Any]])
        #expect(!interfaces.isEmpty)
        #expect(interfaces.allSatisfy { $0["interface"] is String && $0["operstate"] is String })
    }

    @Test func unknownSiteIsAConfigurationError() throws {
        let run = try runProgram("sansang-agent", ["check", "--inventory", "inventory", "--site", "99999"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("site 99999 is not in inventory"))
    }

    @Test func usageErrorsExit2() throws {
        #expect(try runProgram("sansang-agent", ["check", "--lang", "fr"]).status == 2)
        #expect(try runProgram("sansang-agent", ["check", "--site", "20242"]).status == 2)
    }

    @Test func helpHasAnExample() throws {
        let run = try runProgram("sansang-agent", ["check", "--help"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("sansang-agent check --inventory inventory --site 20242"))
    }
}
