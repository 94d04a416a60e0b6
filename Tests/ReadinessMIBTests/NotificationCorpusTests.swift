import Foundation
import ReadinessMIB
import ReadinessModel
import SNMP
import TestSupport
import Testing

/// Issue 14 ("how to prove it"): the committed corpus of the SNMP notification decoder, Tests/Corpus/snmp-notification
/// (named cases per refusal code and 60 seeded mutations, in `NotificationCorpusText`), replayed through
/// `ReadinessMIB.decode`: each entry decodes (and encodes again), or is refused with the code its name says and a
/// message in words — a mutation with any of the decoder's six codes — never a crash. The same files seed the
/// libFuzzer target of `make fuzz`.
@Suite struct NotificationCorpusTests {
    static let directory = packageRoot.appendingPathComponent("Tests/Corpus/snmp-notification")
    static let files: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
        .filter { $0.hasSuffix(".txt") }.sorted()

    @Test func corpusIsThereAndNamesEveryCode() {
        #expect(Self.files.count >= 70, "\(Self.directory.path) holds \(Self.files.count) entries")
        let named = Set(Self.files.compactMap { $0.split(separator: "-").first.map(String.init) })
        #expect(named.isSuperset(of: NotificationDecoderMutationTests.knownCodes.union(["ok", "mutation"])), "\(named.sorted())")
    }

    @Test(arguments: files) func eachEntryGivesWhatItsNameSays(_ name: String) throws {
        let text = try String(contentsOf: Self.directory.appendingPathComponent(name), encoding: .utf8)
        let entry = try NotificationCorpusText.parse(text)
        let expected = String(name.split(separator: "-")[0])
        let mib = ReadinessMIB()
        do {
            let notification = try mib.decode(trapOID: entry.trapOID, varBinds: entry.varBinds)
            #expect(expected == "ok" || expected == "mutation", "\(name) decoded; expected \(expected)")
            // What decodes encodes again, and decodes to the same notification.
            let again = try? mib.decode(trapOID: mib.trapOID(notification.kind), varBinds: mib.varBinds(notification))
            #expect(again != nil, "\(name)")
            if NotificationCorpusText.fitsTheMIB(notification) { #expect(again == notification, "\(name)") }
        } catch {
            #expect(NotificationDecoderMutationTests.knownCodes.contains(error.code), "\(name): \(error.code)")
            #expect(!error.message.isEmpty, "\(name)")
            if expected != "mutation" { #expect(error.code == expected, "\(name): \(error.code): \(error.message)") }
        }
    }

    /// Writes the corpus again (named cases, then 60 seeded mutations): `SANSANG_WRITE_CORPUS=1 swift test --filter
    /// NotificationCorpusTests`. The files are committed; this only runs when asked.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SANSANG_WRITE_CORPUS"] == "1", "writes the corpus only when SANSANG_WRITE_CORPUS=1"))
    func writeCorpus() throws {
        let mib = ReadinessMIB()
        let change = sample(.verdictChange, links: twoLinks)
        let heartbeat = sample(.heartbeat, previous: nil)
        let changeBinds = mib.varBinds(change)
        func entry(_ notification: ReadinessNotification) -> NotificationCorpusText.Entry {
            .init(trapOID: mib.trapOID(notification.kind), varBinds: mib.varBinds(notification))
        }
        func replacing(_ object: ReadinessMIB.Object, with value: SNMPValue) -> NotificationCorpusText.Entry {
            var result = entry(change)
            result.varBinds = result.varBinds.map { mib.objectOID(object).isPrefix(of: $0.oid) ? VarBind(oid: $0.oid, value: value) : $0 }
            return result
        }
        func removing(_ object: ReadinessMIB.Object) -> NotificationCorpusText.Entry {
            var result = entry(change)
            result.varBinds.removeAll { mib.objectOID(object).isPrefix(of: $0.oid) }
            return result
        }
        var cases: [(String, String, NotificationCorpusText.Entry)] = [
            ("ok-verdict-change-two-links", "a verdict change with two links, one not measured", entry(change)),
            ("ok-heartbeat", "a heartbeat without links", entry(heartbeat)),
            ("ok-extra-bindings-ignored", "sysUpTime.0, snmpTrapOID.0 and an object of a later MIB revision are ignored",
             .init(trapOID: mib.trapOID(.verdictChange), varBinds: [
                 VarBind(oid: try OID("1.3.6.1.2.1.1.3.0"), value: .timeticks(123_456)),
                 VarBind(oid: try OID("1.3.6.1.6.3.1.1.4.1.0"), value: .objectIdentifier(mib.trapOID(.verdictChange))),
             ] + changeBinds + [VarBind(oid: try mib.root.appending(1, 99, 0), value: .octetString(Array("later".utf8)))])),
            ("unknown_notification-trap-0-3", "a notification number this MIB does not define",
             .init(trapOID: try mib.root.appending(0, 3), varBinds: changeBinds)),
            ("unknown_notification-other-enterprise", "another enterprise's trap with our bindings",
             .init(trapOID: try OID("1.3.6.1.4.1.9.9.41.2.0.1"), varBinds: changeBinds)),
            ("missing_object-no-site", "no sansangSiteCode", removing(.siteCode)),
            ("missing_object-empty-site", "an empty sansangSiteCode", replacing(.siteCode, with: .octetString([]))),
            ("missing_object-no-verdict", "no sansangVerdict", removing(.verdict)),
            ("missing_object-no-seq", "no sansangReportSeq", removing(.reportSeq)),
            ("bad_reason-lower-case", "a reason that is not CODE or CODE:subject",
             replacing(.reasonCodes, with: .octetString(Array("STALE,stale".utf8)))),
            ("bad_reason-unknown-code", "a reason code sansang does not have",
             replacing(.reasonCodes, with: .octetString(Array("LINK_ON_FIRE:lan".utf8)))),
            ("unknown_verdict-7", "a verdict number the MIB does not define", replacing(.verdict, with: .integer(7))),
            ("unknown_verdict-0", "verdict 0", replacing(.verdict, with: .integer(0))),
            ("wrong_type-verdict-as-text", "the verdict as an OCTET STRING", replacing(.verdict, with: .octetString(Array("ready".utf8)))),
            ("wrong_type-seq-as-counter32", "the report seq as a Counter32", replacing(.reportSeq, with: .counter32(7))),
            ("wrong_type-site-no-such-instance", "an exception value for the site", replacing(.siteCode, with: .noSuchInstance)),
            ("wrong_type-target-as-integer", "a link's target as an INTEGER", replacing(.linkTargetMbps, with: .integer(1000))),
        ]
        var badIndex = entry(change)
        badIndex.varBinds = badIndex.varBinds.map { bind in
            guard mib.objectOID(.linkRole).isPrefix(of: bind.oid) else { return bind }
            return VarBind(oid: try! OID(Array(bind.oid.components.dropLast()) + [0]), value: bind.value)
        }
        cases.append(("bad_link_index-zero", "a link row with index 0", badIndex))
        var twoArcs = entry(change)
        twoArcs.varBinds.append(VarBind(oid: try mib.objectOID(.linkTargetMbps).appending(1, 1), value: .gauge32(10)))
        cases.append(("bad_link_index-two-arcs", "a link column instance of two arcs (.1.1)", twoArcs))
        var roleless = entry(change)
        roleless.varBinds.append(VarBind(oid: try mib.objectOID(.linkTargetMbps).appending(UInt(UInt32.max)), value: .gauge32(10)))
        cases.append(("missing_object-link-row-without-role", "a link row far beyond the others, with a target but no role", roleless))
        var generator = SplitMix64(seed: 1414)
        for index in 0..<60 {
            var mutated = entry(index.isMultiple(of: 2) ? change : heartbeat)
            for _ in 0..<(1 + generator.below(3)) { try generator.mutate(&mutated.varBinds, trapOID: &mutated.trapOID) }
            cases.append((String(format: "mutation-%02d", index), "seeded mutation \(index) (SplitMix64 seed 1414)", mutated))
        }
        try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
        for (name, comment, entry) in cases {
            let text = NotificationCorpusText.render(entry, comment: comment)
            #expect(try NotificationCorpusText.parse(text) == entry, "\(name) does not read back")
            try text.write(to: Self.directory.appendingPathComponent(name + ".txt"), atomically: true, encoding: .utf8)
        }
    }
}
