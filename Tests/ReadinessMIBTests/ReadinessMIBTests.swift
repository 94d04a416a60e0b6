import Foundation
import ReadinessMIB
import ReadinessModel
import SNMP
import Testing
import TestSupport

/// net-snmp's snmptranslate over mibs/ and the IETF modules it imports (mibs/ietf: Debian's snmp package
/// ships none). `-m` without `+`: with it net-snmp also loads its default list (IF-MIB, …), absent here.
private func snmptranslate(_ arguments: [String]) async throws -> ProgramRun {
    let mibs = packageRoot.appendingPathComponent("mibs").path
    return try await runCapturing(["snmptranslate", "-M", "+\(mibs):\(mibs)/ietf", "-m", "SANSANG-READINESS-MIB"] + arguments)
}

/// The `name(number)` pairs of a line such as `SYNTAX INTEGER {ready(1), degraded(2)}`.
private func namedNumbers(_ line: Substring) -> [String: Int32] {
    Dictionary(uniqueKeysWithValues: line.matches(of: /(\w+)\((\d+)\)/).map { (String($0.1), Int32($0.2)!) })
}

@Suite struct ReadinessMIBAgainstTheMIBFile {
    let mib = ReadinessMIB()

    @Test func theMIBLoadsWithoutAWord() async throws {
        let run = try await snmptranslate(["-Tp"])
        #expect(run.status == 0)
        #expect(run.stderr == "")
        #expect(run.stdout.contains("sansangLinkTargetMbps(4)"))
    }

    @Test func everyOIDIsTheMIBs() async throws {
        var expected = [
            "sansangReadinessMIB": ReadinessMIB.defaultRoot,
            "sansangVerdictChange": mib.trapOID(.verdictChange),
            "sansangHeartbeat": mib.trapOID(.heartbeat),
        ]
        for object in ReadinessMIB.Object.allCases { expected[object.rawValue] = mib.objectOID(object) }
        let names = expected.keys.sorted()
        let run = try await snmptranslate(["-On"] + names.map { "SANSANG-READINESS-MIB::\($0)" })
        #expect(run.stderr == "")
        let lines = run.stdout.split(separator: "\n")
        try #require(lines.count == names.count)
        for (name, line) in zip(names, lines) {
            #expect(try OID(String(line)) == expected[name], "\(name)")
        }
    }

    @Test func everyNotifiableObjectAndNotificationIsMapped() async throws {
        let tree = try await snmptranslate(["-Tp"]).stdout
        let notifiable = tree.split(separator: "\n").filter { $0.contains("---N") }
            .compactMap { $0.firstMatch(of: /(\w+)\(\d+\)$/).map { String($0.1) } }
        #expect(Set(notifiable) == Set(ReadinessMIB.Object.allCases.map(\.rawValue)))
        #expect(notifiable.count == ReadinessMIB.Object.allCases.count)

        let text = try String(contentsOf: packageRoot.appendingPathComponent("mibs/SANSANG-READINESS-MIB.txt"), encoding: .utf8)
        let notifications = text.matches(of: /^(\w+)\s+NOTIFICATION-TYPE/.anchorsMatchLineEndings()).map { String($0.1) }
        #expect(notifications == ["sansangVerdictChange", "sansangHeartbeat"])
    }

    @Test func verdictNumbersAreTheMIBs() async throws {
        let run = try await snmptranslate(["-Td", "SANSANG-READINESS-MIB::sansangVerdict"])
        let syntax = try #require(run.stdout.split(separator: "\n").first { $0.contains("SYNTAX") })
        let numbers = namedNumbers(syntax)
        let names: [VerdictState: String] = [.ready: "ready", .degraded: "degraded", .notReady: "notReady", .unknown: "unknown"]
        #expect(numbers.count == VerdictState.allCases.count)
        let verdictOID = try instance(.verdict)
        for state in VerdictState.allCases {
            let binds = mib.varBinds(sample(.heartbeat, verdict: state))
            let sent = binds.first { $0.oid == verdictOID }?.value
            #expect(sent == .integer(try #require(numbers[names[state]!])), "\(state)")
        }
    }

    /// Both notifications carry their scalars in the order of the MIB's OBJECTS clause, then the link rows.
    @Test(arguments: [ReadinessNotification.Kind.verdictChange, .heartbeat])
    func varBindsFollowTheObjectsClause(kind: ReadinessNotification.Kind) async throws {
        let name = kind == .verdictChange ? "sansangVerdictChange" : "sansangHeartbeat"
        let definition = try await snmptranslate(["-Td", "SANSANG-READINESS-MIB::\(name)"]).stdout
        let clause = try #require(definition.firstMatch(of: /OBJECTS\s*\{([^}]*)\}/)).1
        let objects = clause.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        let scalars = objects.filter { !$0.hasPrefix("sansangLink") }

        let binds = mib.varBinds(sample(kind, links: twoLinks))
        var expected = try scalars.map { try instance(#require(ReadinessMIB.Object(rawValue: $0))) }
        for index: UInt in [1, 2] {
            for column in objects.filter({ $0.hasPrefix("sansangLink") }) {
                let object = try #require(ReadinessMIB.Object(rawValue: column))
                if index == 2 && object == .linkMeasuredMbps { continue }  // the second link was not measured
                expected.append(try instance(object, index))
            }
        }
        #expect(binds.map(\.oid) == expected)
    }

    private func instance(_ object: ReadinessMIB.Object, _ index: UInt = 0) throws -> OID {
        try mib.objectOID(object).appending(index)
    }
}

let twoLinks = [
    ReadinessNotification.Link(role: "lan", measuredMbps: 940, targetMbps: 1000),
    ReadinessNotification.Link(role: "wan", measuredMbps: nil, targetMbps: 100),
]

func sample(_ kind: ReadinessNotification.Kind, verdict: VerdictState = .notReady, previous: VerdictState? = .ready,
            links: [ReadinessNotification.Link] = []) -> ReadinessNotification {
    ReadinessNotification(
        kind: kind, siteCode: "20242", verdict: verdict, previousVerdict: previous,
        reasons: [ReasonKey(code: .linkBelowTarget, subject: "lan"), ReasonKey(code: .serviceDown, subject: "dichvucong"),
                  ReasonKey(code: .stale)],
        failingServices: ["dichvucong", "email"], links: links, agentVersion: "0.1.0", reportSeq: 1 << 40 + 7,
        bootId: "3f2b8c1e-9d4a-4e6b-8f0a-2c5d7e9b1a34", undeliveredInforms: 3)
}

@Suite struct ReadinessMIBCoding {
    let mib = ReadinessMIB()

    func roundTrip(_ notification: ReadinessNotification, _ mib: ReadinessMIB = ReadinessMIB()) throws -> ReadinessNotification {
        try mib.decode(trapOID: mib.trapOID(notification.kind), varBinds: mib.varBinds(notification))
    }

    @Test(arguments: [VerdictState.ready, nil], [[], twoLinks])
    func verdictChangeRoundTrips(previous: VerdictState?, links: [ReadinessNotification.Link]) throws {
        let change = sample(.verdictChange, previous: previous, links: links)
        #expect(try roundTrip(change) == change)
    }

    @Test(arguments: [[], twoLinks])
    func heartbeatRoundTripsWithoutThePreviousVerdict(links: [ReadinessNotification.Link]) throws {
        var heartbeat = sample(.heartbeat, previous: nil, links: links)
        #expect(try roundTrip(heartbeat) == heartbeat)
        heartbeat.previousVerdict = .degraded
        #expect(try roundTrip(heartbeat).previousVerdict == nil)
        #expect(!mib.varBinds(heartbeat).contains { mib.objectOID(.previousVerdict).isPrefix(of: $0.oid) })
    }

    @Test func aReadySiteSendsEmptyLists() async throws {
        let ready = ReadinessNotification(kind: .heartbeat, siteCode: "00001", verdict: .ready, agentVersion: "0.1.0",
                                          reportSeq: 0, bootId: "b")
        let binds = mib.varBinds(ready)
        #expect(binds.first { $0.oid == (try? mib.objectOID(.reasonCodes).appending(0)) }?.value == .octetString([]))
        #expect(try roundTrip(ready) == ready)
    }

    @Test func anotherRootMovesEveryOID() async throws {
        let other = ReadinessMIB(root: try OID("1.3.6.1.4.1.99999.1"))
        let change = sample(.verdictChange, links: twoLinks)
        #expect(other.trapOID(.heartbeat).description == "1.3.6.1.4.1.99999.1.0.2")
        #expect(other.varBinds(change).allSatisfy { other.root.isPrefix(of: $0.oid) })
        #expect(try roundTrip(change, other) == change)
        #expect(throws: ReadinessMIBError.self) {
            try other.decode(trapOID: mib.trapOID(.verdictChange), varBinds: mib.varBinds(change))
        }
    }

    @Test func longListsKeepWholeItemsWithin255Octets() async throws {
        var change = sample(.verdictChange)
        change.failingServices = (1...40).map { "dichvucong-\($0)" }
        change.reasons = change.failingServices.map { ReasonKey(code: .serviceDown, subject: $0) }
        change.agentVersion = String(repeating: "ạ", count: 200)  // 3 octets each: cut at a character
        let decoded = try roundTrip(change)
        for bind in mib.varBinds(change) {
            if case .octetString(let bytes) = bind.value { #expect(bytes.count <= 255) }
        }
        #expect(!decoded.failingServices.isEmpty && change.failingServices.starts(with: decoded.failingServices))
        #expect(!decoded.reasons.isEmpty && change.reasons.starts(with: decoded.reasons))
        #expect(decoded.agentVersion == String(repeating: "ạ", count: 85))
    }

    @Test func extraVarBindsAreIgnored() async throws {
        let change = sample(.verdictChange, links: twoLinks)
        let extra = [
            VarBind(oid: try OID("1.3.6.1.2.1.1.3.0"), value: .timeticks(12_345)),                     // sysUpTime.0
            VarBind(oid: try OID("1.3.6.1.6.3.1.1.4.1.0"), value: .objectIdentifier(mib.trapOID(.verdictChange))),
            VarBind(oid: try mib.root.appending(1, 99, 0), value: .integer(1)),                     // a later object
        ]
        #expect(try mib.decode(trapOID: mib.trapOID(.verdictChange), varBinds: extra + mib.varBinds(change)) == change)
    }

    /// The error for a change's variable bindings after `edit`.
    func error(trapOID: OID? = nil, _ edit: (inout [VarBind]) throws -> Void) throws -> ReadinessMIBError {
        let change = sample(.verdictChange, links: twoLinks)
        var binds = mib.varBinds(change)
        try edit(&binds)
        let edited = binds
        return try #require(throws: ReadinessMIBError.self) {
            try mib.decode(trapOID: trapOID ?? mib.trapOID(.verdictChange), varBinds: edited)
        }
    }

    func replacing(_ object: ReadinessMIB.Object, index: UInt = 0, with value: SNMPValue?) -> (inout [VarBind]) throws -> Void {
        { binds in
            let oid = try mib.objectOID(object).appending(index)
            let position = try #require(binds.firstIndex { $0.oid == oid })
            if let value { binds[position] = VarBind(oid: oid, value: value) } else { binds.remove(at: position) }
        }
    }

    @Test func badInputsNameTheOIDAndTheFault() async throws {
        let unknown = try error(trapOID: try mib.root.appending(0, 3)) { _ in }
        #expect(unknown.code == "unknown_notification" && unknown.message.contains("1.3.6.1.4.1.8072.9999.9999.7474.0.3"))

        let noSite = try error(replacing(.siteCode, with: nil))
        #expect(noSite.code == "missing_object" && noSite.message.contains("sansangSiteCode.0 (1.3.6.1.4.1.8072.9999.9999.7474.1.1.0)"))
        #expect(try error(replacing(.siteCode, with: .octetString([]))).code == "missing_object")
        #expect(try error(replacing(.bootId, with: nil)).code == "missing_object")

        let wrongType = try error(replacing(.verdict, with: .gauge32(1)))
        #expect(wrongType.code == "wrong_type" && wrongType.message.contains("sansangVerdict.0"))
        #expect(try error(replacing(.reportSeq, with: .counter32(1))).code == "wrong_type")
        #expect(try error(replacing(.linkRole, index: 2, with: .integer(1))).message.contains("sansangLinkRole.2"))

        let verdict = try error(replacing(.previousVerdict, with: .integer(7)))
        #expect(verdict.code == "unknown_verdict" && verdict.message.contains("sansangPreviousVerdict.0"))
        #expect(try error(replacing(.verdict, with: .integer(0))).code == "unknown_verdict")

        let reason = try error(replacing(.reasonCodes, with: .octetString(Array("STALE,NOPE:lan".utf8))))
        #expect(reason.code == "bad_reason" && reason.message.contains("NOPE:lan"))

        let target = try error(replacing(.linkTargetMbps, index: 2, with: nil))
        #expect(target.code == "missing_object" && target.message.contains("sansangLinkTargetMbps.2"))

        let index = try error { binds in
            binds.append(VarBind(oid: try mib.objectOID(.linkRole).appending(0), value: .octetString(Array("lan".utf8))))
        }
        #expect(index.code == "bad_link_index")
    }
}
