import CollectorCore
import CollectorStore
import CollectorTestSupport
import Foundation
import Inventory
import ReadinessModel
import SansangAPI
import TestSupport
import Testing

private let now = Date(timeIntervalSince1970: 1_780_000_000)

/// The API error code `body` fails with, nil when it succeeds.
func errorCode<T>(_ body: () async throws -> T) async -> APIErrorCode? {
    do {
        _ = try await body()
        return nil
    } catch let error as CollectorError {
        return error.code
    } catch {
        return .internalError
    }
}

@Suite struct TokenAuthorityTests {
    @Test func issuedTokenVerifiesAndOnlyItsHashIsStored() async throws {
        try await withTemporaryDirectory { dir in
            let collector = try await makeCollector(in: dir)
            let issued = try await collector.tokens.issue(site: ExampleSite.haiChau, now: now)
            #expect(issued.token.hasPrefix("sst_\(issued.record.id)_"))
            #expect(issued.token.count == 60, "sst_ + 12 hex + _ + 43 base64url characters")
            let stored = try #require(try await collector.store.token(id: issued.record.id))
            #expect(stored.sha256.count == 64)
            #expect(!stored.sha256.contains(issued.token) && stored.sha256 != issued.token)
            let raw = try Data(contentsOf: dir.appendingPathComponent("collector.sqlite"))
                + ((try? Data(contentsOf: dir.appendingPathComponent("collector.sqlite-wal"))) ?? Data())
            #expect(raw.range(of: Data(issued.token.utf8)) == nil, "the token itself must not be stored")
            #expect(try await collector.authenticate(bearer: issued.token) == .site(ExampleSite.haiChau))

            let noc = try await collector.tokens.issue(nocUser: "alice", role: .admin, now: now + 1)
            #expect(try await collector.authenticate(bearer: noc.token) == .noc(name: "alice", role: .admin))
            #expect(try await collector.tokens.list().map(\.name) == [ExampleSite.haiChau, "alice"])
        }
    }

    @Test func missingMalformedWrongAndRevokedTokensAreRefused() async throws {
        try await withTemporaryDirectory { dir in
            let collector = try await makeCollector(in: dir)
            let issued = try await collector.tokens.issue(site: ExampleSite.haiChau, now: now)
            func code(_ token: String?) async -> APIErrorCode? {
                await errorCode { try await collector.authenticate(bearer: token) }
            }
            #expect(await code(nil) == .unauthenticated)
            #expect(await code("") == .unauthenticated)
            #expect(await code("Bearer nonsense") == .unauthenticated)
            #expect(await code(issued.token + "x") == .unauthenticated)
            #expect(await code("sst_ffffffffffff_" + issued.token.suffix(43)) == .unauthenticated)
            #expect(try await collector.tokens.revoke(id: issued.record.id))
            #expect(await code(issued.token) == .tokenRevoked)
            #expect(try await !collector.tokens.revoke(id: "000000000000"))
        }
    }
}

@Suite struct IngestTests {
    @Test func ingestStoresEvaluatesAndAcknowledgesDuplicates() async throws {
        try await withTemporaryDirectory { dir in
            let collector = try await makeCollector(in: dir)
            let inventory = collector.inventory
            let batch = ReportBatch(reports: [readyReport(inventory, site: ExampleSite.haiChau, seq: 1, at: now)])
            let ack = try await collector.ingest(batch, from: .site(ExampleSite.haiChau), receivedAt: now)
            #expect(ack.stored == [ReportKey(bootId: "boot-1", seq: 1)])
            #expect(try await collector.site(code: ExampleSite.haiChau).verdict?.state == .ready)
            let again = try await collector.ingest(batch, from: .site(ExampleSite.haiChau), receivedAt: now + 1)
            #expect(again == IngestAcknowledgement(stored: [], duplicates: [ReportKey(bootId: "boot-1", seq: 1)]))
            #expect(try await collector.store.reportCount(site: ExampleSite.haiChau) == 1)
        }
    }

    /// Concurrent, overlapping batches (an agent retrying while its first send is still in flight):
    /// every report is stored once, and each is acknowledged as stored exactly once overall.
    @Test func concurrentOverlappingBatchesStoreEachReportOnce() async throws {
        try await withTemporaryDirectory { dir in
            let collector = try await makeCollector(in: dir)
            let reports = (1...60).map { readyReport(collector.inventory, site: ExampleSite.haiChau, seq: UInt64($0), at: now) }
            let acks = try await withThrowingTaskGroup(of: IngestAcknowledgement.self) { group in
                for start in stride(from: 0, to: 60, by: 5) {
                    for _ in 0..<3 {
                        let batch = ReportBatch(reports: Array(reports[start..<min(start + 10, 60)]))
                        group.addTask { try await collector.ingest(batch, from: .site(ExampleSite.haiChau), receivedAt: now) }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let stored = acks.flatMap(\.stored)
            #expect(stored.count == 60)
            #expect(Set(stored).count == 60)
            #expect(acks.map { $0.stored.count + $0.duplicates.count }.reduce(0, +) == acks.count * 10 - 3 * 5)
            #expect(try await collector.store.reportCount(site: ExampleSite.haiChau) == 60)
        }
    }

    @Test func reportsForAnotherSiteOrWithoutAnOfficeAreRefusedAndNotStored() async throws {
        try await withTemporaryDirectory { dir in
            let collector = try await makeCollector(in: dir)
            let inventory = collector.inventory
            let other = ReportBatch(reports: [readyReport(inventory, site: ExampleSite.hoaCuong, seq: 1, at: now)])
            #expect(await errorCode { try await collector.ingest(other, from: .site(ExampleSite.haiChau)) } == .siteMismatch)
            #expect(await errorCode { try await collector.ingest(other, from: .noc(name: "alice", role: .admin)) } == .forbidden)
            var hoangSa = other
            hoangSa.reports[0].site = ExampleSite.hoangSa
            // Without an office: a refusal that passes (the inventory may be changing), not a permanent one.
            #expect(await errorCode { try await collector.ingest(hoangSa, from: .site(ExampleSite.hoangSa)) } == .unknownSite)
            #expect(try await collector.store.reportCount(site: ExampleSite.hoaCuong) == 0)
            #expect(try await collector.store.reportCount(site: ExampleSite.hoangSa) == 0)
        }
    }

    @Test func silenceBecomesStaleOnTheTimer() async throws {
        try await withTemporaryDirectory { dir in
            let collector = try await makeCollector(in: dir)
            let batch = ReportBatch(reports: [readyReport(collector.inventory, site: ExampleSite.haiChau, seq: 1, at: now)])
            _ = try await collector.ingest(batch, from: .site(ExampleSite.haiChau), receivedAt: now)
            // Within three intervals: still ready, no transition.
            #expect(try await collector.evaluateAll(now: now + 170)[ExampleSite.haiChau] == nil)
            let transitions = try await collector.evaluateAll(now: now + 181)
            #expect(transitions[ExampleSite.haiChau]?.from == .ready)
            #expect(transitions[ExampleSite.haiChau]?.to == .unknown)
            #expect(transitions[ExampleSite.haiChau]?.reasons.map(\.code) == [.stale])
            // Sites that never reported are NO_DATA; the one without an office has no verdict.
            let verdicts = try await collector.store.currentVerdicts()
            #expect(verdicts[ExampleSite.thanhKhe]?.reasons.map(\.code) == [.noData])
            #expect(verdicts[ExampleSite.hoangSa] == nil)
            let history = try await collector.history(code: ExampleSite.haiChau, from: now - 1, to: now + 200)
            #expect(history.transitions.map(\.to) == [.ready, .unknown])
        }
    }
}

@Suite struct QueryTests {
    @Test func readinessSitesFiltersAndPaging() async throws {
        try await withTemporaryDirectory { dir in
            let collector = try await makeCollector(in: dir)
            let inventory = collector.inventory
            _ = try await collector.ingest(ReportBatch(reports: [readyReport(inventory, site: ExampleSite.haiChau, seq: 1, at: now)]),
                                           from: .site(ExampleSite.haiChau), receivedAt: now)
            _ = try await collector.ingest(ReportBatch(reports: [readyReport(inventory, site: ExampleSite.hoaCuong, seq: 1, at: now, lanMbps: 1000)]),
                                           from: .site(ExampleSite.hoaCuong), receivedAt: now)
            try await collector.evaluateAll(now: now + 1)

            let readiness = try await collector.readiness(groupBy: .formerDistrict, now: now)
            #expect(readiness.overall.summary == "1/93")
            let haiChau = try #require(readiness.groups.first { $0.key == "Hải Châu" })
            #expect(haiChau.tally.summary == "1/2")
            #expect(haiChau.tally.byReason["LINK_BELOW_TARGET:lan"] == 1)

            let notReady = try await collector.sites(filter: try SiteFilter(verdict: "not_ready", reason: nil, province: nil, formerDistrict: nil))
            #expect(notReady.items.map(\.code) == [ExampleSite.hoaCuong])
            let byCode = try await collector.sites(filter: try SiteFilter(verdict: nil, reason: "LINK_BELOW_TARGET", province: nil, formerDistrict: nil))
            #expect(byCode.total == 1)
            let bySubject = try await collector.sites(filter: try SiteFilter(verdict: nil, reason: "LINK_BELOW_TARGET:wan", province: nil, formerDistrict: nil))
            #expect(bySubject.total == 0)
            let district = try await collector.sites(filter: try SiteFilter(verdict: nil, reason: nil, province: "Thành phố Đà Nẵng", formerDistrict: "Hải Châu"))
            #expect(district.items.map(\.code) == [ExampleSite.haiChau, ExampleSite.hoaCuong])
            #expect(district.items.first?.lastReportAt == now)
            let page = try await collector.sites(filter: SiteFilter(), limit: 10, offset: 90)
            #expect(page.total == 94)
            #expect(page.items.count == 4)

            #expect(throws: CollectorError.self) { try SiteFilter(verdict: "green", reason: nil, province: nil, formerDistrict: nil) }
            #expect(throws: CollectorError.self) { try SiteFilter(verdict: nil, reason: "NOPE", province: nil, formerDistrict: nil) }
            await #expect(throws: CollectorError.self) { try await collector.site(code: "99999") }
        }
    }

    @Test func planAppliesOverridesAndItsVersionIsStable() async throws {
        try await withTemporaryDirectory { dir in
            let collector = try await makeCollector(in: dir)
            let plan = try collector.plan(site: ExampleSite.traLeng)
            #expect(plan.profile.links.first { $0.role == .wan }?.targetMbps == 100)
            #expect(plan.reportIntervalSeconds == 60)
            #expect(plan.version.count == 16)
            #expect(try collector.plan(site: ExampleSite.traLeng).version == plan.version)
            #expect(try collector.plan(site: ExampleSite.haiChau).version != plan.version)
            // A changed inventory changes the plan's version.
            var sites = collector.inventory.sites
            let index = try #require(sites.firstIndex { $0.code == ExampleSite.traLeng })
            sites[index].overrides.linkTargets[.wan] = 150
            collector.replaceInventory(Inventory(sites: sites, profiles: collector.inventory.profiles))
            #expect(try collector.plan(site: ExampleSite.traLeng).version != plan.version)
            #expect(throws: CollectorError.self) { try collector.plan(site: ExampleSite.hoangSa) }
        }
    }
}

@Suite struct BatchDecodingTests {
    func code(_ text: String) -> APIErrorCode? {
        do {
            _ = try BatchDecoding.decode(Data(text.utf8))
            return nil
        } catch {
            return error.code
        }
    }

    @Test func tellsTheKindsOfBadBodyApart() async throws {
        #expect(code("{not json") == .malformedJSON)
        #expect(code("{\"reports\": 5}") == .invalidReport)
        #expect(code("{\"reports\": []}") == .invalidReport)
        #expect(code("{\"reports\": [{\"format_version\": 2}]}") == .unsupportedFormat)
        #expect(code("{\"reports\": [{}]}") == .unsupportedFormat)
        #expect(code("{\"reports\": [{\"format_version\": 1, \"site\": \"20242\"}]}") == .invalidReport)
        let report = readyReport(try exampleInventory(), site: ExampleSite.haiChau, seq: 1, at: now)
        let body = try ReportCoding.encoder().encode(ReportBatch(reports: [report]))
        #expect(try BatchDecoding.decode(body).reports == [report])
    }
}

@Suite struct CollectorConfigurationTests {
    @Test func snmpSectionDecodesAndItsErrorsNameTheirPlace() async throws {
        let parsed = try CollectorConfiguration.parse(yaml: """
            snmp:
              listen: udp:127.0.0.1:16200
              engine_id: 0x8000a1f8030242c0a80001
              users:
                - {user: sansang-20242, auth_passphrase: "auth-secret-1", privacy_passphrase: "priv-secret-1",
                   sites: ["20242"], trap_engine_ids: ["8000a1f8030242c0a80002"]}
              communities: [{community: noc}]
              notification_max_age_s: 600
              forward:
                - {address: "udp:198.18.0.50:162", version: v2c, community: noc, kind: trap}
            """, file: "c.yaml")
        #expect(parsed.snmp.receives)
        #expect(parsed.snmp.listen == "udp:127.0.0.1:16200")
        #expect(parsed.snmp.engineID == [0x80, 0x00, 0xa1, 0xf8, 0x03, 0x02, 0x42, 0xc0, 0xa8, 0x00, 0x01])
        #expect(parsed.snmp.users.map(\.security.user) == ["sansang-20242"])
        #expect(parsed.snmp.users.first?.sites == ["20242"])
        #expect(parsed.snmp.users.first?.trapEngineIDs.first?.count == 11)
        #expect(parsed.snmp.communities.map(\.community) == ["noc"])
        #expect(parsed.snmp.notificationMaxAgeSeconds == 600)
        #expect(parsed.snmp.forward.map(\.kind) == [.trap])

        do {
            _ = try CollectorConfiguration.parse(yaml: """
                snmp:
                  engine_id: 80zz
                  users:
                    - {user: u, auth_passphrase: short, privacy_passphrase: "priv-secret-1", site: ["20242"]}
                """, file: "c.yaml")
            Issue.record("accepted")
        } catch {
            let lines = error.errors.map(\.description)
            #expect(lines.contains { $0.hasPrefix("c.yaml:2:14: snmp.engine_id:") && $0.contains("engine ID") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("c.yaml:4:34: snmp.users[0].auth_passphrase: must be at least 8") }, "\(lines)")
            #expect(lines.contains { $0.contains("snmp.users[0].site: unknown key") && $0.contains("sites") }, "\(lines)")
        }
    }

    @Test func defaultsAndValues() async throws {
        let defaults = try CollectorConfiguration.parse(yaml: "", file: "c.yaml")
        #expect(defaults.listen == CollectorConfiguration().listen)
        #expect(defaults.inventory == CollectorConfiguration().inventory)
        #expect(defaults.snmp.receives == false)
        #expect(defaults.listen.port == 8470)
        #expect(defaults.maxBodyBytes == 4 << 20)
        #expect(defaults.evaluationIntervalSeconds == 15)
        let parsed = try CollectorConfiguration.parse(yaml: """
            listen: {host: 0.0.0.0, port: 9000}
            tls: {cert_file: /etc/ssl/c.pem, key_file: /etc/ssl/k.pem}
            database: {sqlite_path: /tmp/x.sqlite}
            inventory: [/a, /b]
            report_interval_s: 30
            evaluation_interval_s: 5
            retention_days: 7
            max_body_bytes: 65536
            """, file: "c.yaml")
        #expect(parsed.listen.host == "0.0.0.0")
        #expect(parsed.listen.port == 9000)
        #expect(parsed.tls == .init(certFile: "/etc/ssl/c.pem", keyFile: "/etc/ssl/k.pem"))
        #expect(parsed.inventory == ["/a", "/b"])
        #expect(parsed.sqlitePath == "/tmp/x.sqlite")
        #expect(parsed.reportIntervalSeconds == 30)
        #expect(parsed.evaluationIntervalSeconds == 5)
        #expect(parsed.retentionDays == 7)
        #expect(parsed.maxBodyBytes == 65536)
    }

    @Test func errorsNameFileLineColumnAndField() async throws {
        do {
            _ = try CollectorConfiguration.parse(yaml: "listen:\n  port: 99999\nretension_days: 3\n", file: "c.yaml")
            Issue.record("expected errors")
        } catch {
            let lines = error.errors.map(\.description)
            #expect(lines.contains { $0.hasPrefix("c.yaml:2:9: listen.port:") && $0.contains("out of range") })
            #expect(lines.contains { $0.hasPrefix("c.yaml:3:1: retension_days:") && $0.contains("retention_days") })
        }
    }

    /// `body_timeout_s` (issue 14, item 19: a body trickled within every idle timeout) is read and bounded.
    @Test func connectionTimeoutsAreReadAndBounded() async throws {
        #expect(CollectorConfiguration().idleTimeoutSeconds == 30)
        #expect(CollectorConfiguration().bodyTimeoutSeconds == 120)
        let parsed = try CollectorConfiguration.parse(yaml: "idle_timeout_s: 10\nbody_timeout_s: 45\n", file: "c.yaml")
        #expect(parsed.idleTimeoutSeconds == 10)
        #expect(parsed.bodyTimeoutSeconds == 45)
        do {
            _ = try CollectorConfiguration.parse(yaml: "body_timeout_s: 0\n", file: "c.yaml")
            Issue.record("expected an error")
        } catch {
            let lines = error.errors.map(\.description)
            #expect(lines.contains { $0.hasPrefix("c.yaml:1:17: body_timeout_s:") && $0.contains("out of range") }, "\(lines)")
        }
    }
}
