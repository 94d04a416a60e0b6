import ReadinessMIB
import ReadinessModel
import SNMP
import TestSupport
import Testing

/// Issue 14 ("how to prove it"): the SNMP notification decoder, `ReadinessMIB.decode`, is the collector's only way
/// into a notification's variable bindings (net-snmp has parsed the PDU). 5,000 seeded mutations of a verdict
/// change and a heartbeat — bindings removed, duplicated, moved, given another type or a random value, their
/// instance index changed, the trap OID changed — each decode either gives a notification that encodes again or
/// a refusal with a known code and a message naming what is wrong: never a crash. The collector's intake turns
/// every refusal into `not_readiness_mib`, counted in `sansang_snmp_notifications_rejected_total`.
@Suite struct NotificationDecoderMutationTests {
    static let knownCodes: Set<String> = ["bad_link_index", "bad_reason", "missing_object", "unknown_notification",
                                          "unknown_verdict", "wrong_type"]

    @Test func mutatedBindingsDecodeOrAreRefusedWithAKnownCode() throws {
        let mib = ReadinessMIB()
        var generator = NotificationMutator(seed: 14)
        var refusals: [String: Int] = [:]
        var decoded = 0
        for round in 0..<5_000 {
            let original = sample(round.isMultiple(of: 2) ? .verdictChange : .heartbeat, links: twoLinks)
            var trapOID = mib.trapOID(original.kind)
            var binds = mib.varBinds(original)
            for _ in 0..<(1 + generator.below(3)) { try generator.mutate(&binds, trapOID: &trapOID) }
            do {
                let notification = try mib.decode(trapOID: trapOID, varBinds: binds)
                _ = mib.varBinds(notification)
                decoded += 1
            } catch {
                #expect(Self.knownCodes.contains(error.code), "round \(round): \(error.code): \(error.message)")
                #expect(!error.message.isEmpty, "round \(round)")
                refusals[error.code, default: 0] += 1
            }
        }
        // The mutations reach every kind of refusal, and some still decode (e.g. an extra binding is ignored).
        #expect(Set(refusals.keys) == Self.knownCodes, "\(refusals)")
        #expect(decoded > 0)
    }
}

/// Deterministic mutations of variable bindings (SplitMix64), so that a failing round can be replayed.
struct NotificationMutator {
    var random: SeededGenerator
    init(seed: UInt64) { random = SeededGenerator(seed: seed) }

    mutating func next() -> UInt64 { random.next() }

    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    mutating func bytes() -> [UInt8] {
        switch below(4) {
        case 0: return []
        case 1: return Array("STALE,LINK_BELOW_TARGET:lan,SERVICE_DOWN:x".utf8)
        case 2: return (0..<below(16)).map { _ in UInt8(truncatingIfNeeded: next()) }   // often invalid UTF-8
        default: return [UInt8](repeating: UInt8(ascii: "a"), count: 300 + below(4000))
        }
    }

    mutating func value() -> SNMPValue {
        switch below(10) {
        case 0: return .integer([Int32.min, -1, 0, 1, 2, 3, 4, 5, 6, Int32.max][below(10)])
        case 1: return .octetString(bytes())
        case 2: return .null
        case 3: return .gauge32(UInt32(truncatingIfNeeded: next()))
        case 4: return .counter32(UInt32(truncatingIfNeeded: next()))
        case 5: return .counter64([0, 1, UInt64(Int64.max), UInt64.max][below(4)])
        case 6: return .timeticks(UInt32(truncatingIfNeeded: next()))
        case 7: return .noSuchInstance
        case 8: return .opaque(bytes())
        default: return .other(asnType: UInt8(truncatingIfNeeded: next()), bytes: bytes())
        }
    }

    mutating func mutate(_ binds: inout [VarBind], trapOID: inout OID) throws {
        guard !binds.isEmpty else { return binds.append(VarBind(oid: trapOID, value: value())) }
        let index = below(binds.count)
        switch below(7) {
        case 0: binds.remove(at: index)
        case 1: binds.insert(binds[index], at: below(binds.count + 1))
        case 2: binds.swapAt(index, below(binds.count))
        case 3, 4: binds[index] = VarBind(oid: binds[index].oid, value: value())
        case 5:
            // Another instance: index 0 of a link column, a link index far beyond the others, or a huge one.
            var arcs = binds[index].oid.components
            arcs[arcs.count - 1] = [0, 1, 2, 3, 9, 255, UInt(UInt32.max)][below(7)]
            binds[index] = VarBind(oid: try OID(arcs), value: binds[index].value)
        default:
            var arcs = trapOID.components
            arcs[arcs.count - 1] = UInt(below(5))
            trapOID = try OID(arcs)
        }
    }
}
