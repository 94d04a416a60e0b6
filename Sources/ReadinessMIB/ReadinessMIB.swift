import ReadinessModel
import SNMPTypes

/// SANSANG-READINESS-MIB (`mibs/SANSANG-READINESS-MIB.txt`) under a configurable root: notifications to
/// variable bindings and back. Every number here is the MIB's; ReadinessMIBTests check them with snmptranslate.
public struct ReadinessMIB: Sendable {
    /// netSnmpPlaypen.7474 (1.3.6.1.4.1.8072.9999.9999.7474), until a Private Enterprise Number is registered.
    public static let defaultRoot = try! OID([1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 7474])
    /// The longest root that leaves room for the deepest instance, root.1.10.1.column.index.
    public static let maximumRootLength = OID.maximumLength - 5

    /// The MIB's accessible-for-notify objects, named by their descriptors.
    public enum Object: String, Sendable, CaseIterable {
        case siteCode = "sansangSiteCode"
        case verdict = "sansangVerdict"
        case previousVerdict = "sansangPreviousVerdict"
        case reasonCodes = "sansangReasonCodes"
        case failingServices = "sansangFailingServices"
        case agentVersion = "sansangAgentVersion"
        case reportSeq = "sansangReportSeq"
        case bootId = "sansangBootId"
        case undeliveredInforms = "sansangUndeliveredInforms"
        case linkRole = "sansangLinkRole"
        case linkMeasuredMbps = "sansangLinkMeasuredMbps"
        case linkTargetMbps = "sansangLinkTargetMbps"

        /// The arcs under sansangObjects (root.1); the link columns sit in sansangLinkEntry (10.1).
        var arcs: [UInt] {
            switch self {
            case .siteCode: [1]
            case .verdict: [2]
            case .previousVerdict: [3]
            case .reasonCodes: [4]
            case .failingServices: [5]
            case .agentVersion: [6]
            case .reportSeq: [7]
            case .bootId: [8]
            case .undeliveredInforms: [9]
            case .linkRole: [10, 1, 2]
            case .linkMeasuredMbps: [10, 1, 3]
            case .linkTargetMbps: [10, 1, 4]
            }
        }

        var isColumn: Bool { arcs.count > 1 }
    }

    public let root: OID

    public init(root: OID = defaultRoot) {
        precondition(root.components.count <= Self.maximumRootLength,
                     "an SNMP OID root has at most \(Self.maximumRootLength) sub-identifiers, not \(root.components.count)")
        self.root = root
    }

    public func trapOID(_ kind: ReadinessNotification.Kind) -> OID {
        switch kind {
        case .verdictChange: oid([0, 1])
        case .heartbeat: oid([0, 2])
        }
    }

    /// The object's OID, without an instance suffix.
    public func objectOID(_ object: Object) -> OID { oid([1] + object.arcs) }

    /// The payload of the notification (without sysUpTime.0 and snmpTrapOID.0, which the sender adds), in
    /// the order of the MIB's OBJECTS clause: the scalars as instance .0, then each link's columns as instance
    /// .1, .2, …. previousVerdict goes with a verdict change only; an unmeasured link has no measured varbind.
    public func varBinds(_ n: ReadinessNotification) -> [VarBind] {
        var binds = [
            bind(.siteCode, .octetString(Self.adminString(n.siteCode))),
            bind(.verdict, .integer(Self.number(n.verdict))),
        ]
        if n.kind == .verdictChange, let previous = n.previousVerdict {
            binds.append(bind(.previousVerdict, .integer(Self.number(previous))))
        }
        binds += [
            bind(.reasonCodes, .octetString(Self.adminStringList(n.reasons.map(\.description)))),
            bind(.failingServices, .octetString(Self.adminStringList(n.failingServices))),
            bind(.agentVersion, .octetString(Self.adminString(n.agentVersion))),
            bind(.reportSeq, .counter64(n.reportSeq)),
            bind(.bootId, .octetString(Self.adminString(n.bootId))),
            bind(.undeliveredInforms, .counter32(n.undeliveredInforms)),
        ]
        for (offset, link) in n.links.enumerated() {
            let index = UInt(offset + 1)
            binds.append(bind(.linkRole, .octetString(Self.adminString(link.role)), index: index))
            if let measured = link.measuredMbps {
                binds.append(bind(.linkMeasuredMbps, .gauge32(measured), index: index))
            }
            binds.append(bind(.linkTargetMbps, .gauge32(link.targetMbps), index: index))
        }
        return binds
    }

    /// A notification from its trap OID (snmpTrapOID.0's value) and variable bindings. Bindings this MIB does
    /// not define (sysUpTime.0, snmpTrapOID.0, later additions) are ignored; previousVerdict and a link's
    /// measured speed are optional, every other scalar is required.
    public func decode(trapOID: OID, varBinds: [VarBind]) throws(ReadinessMIBError) -> ReadinessNotification {
        let kind: ReadinessNotification.Kind
        switch trapOID {
        case self.trapOID(.verdictChange): kind = .verdictChange
        case self.trapOID(.heartbeat): kind = .heartbeat
        default:
            throw ReadinessMIBError("unknown_notification",
                                    "\(trapOID) is not a notification of SANSANG-READINESS-MIB under \(root)")
        }
        var scalars: [Object: VarBind] = [:]
        var rows: [UInt: [Object: VarBind]] = [:]
        for bind in varBinds {
            guard let object = Object.allCases.first(where: { objectOID($0).isPrefix(of: bind.oid) }) else { continue }
            let suffix = bind.oid.components.dropFirst(objectOID(object).components.count)
            if !object.isColumn {
                if suffix == [0] { scalars[object] = bind }
            } else if suffix.count == 1, let index = suffix.first, index >= 1 {
                rows[index, default: [:]][object] = bind
            } else {
                throw ReadinessMIBError("bad_link_index",
                                        "\(bind.oid) is not an instance \(object.rawValue).N with N of 1 or more")
            }
        }

        func required(_ object: Object, in binds: [Object: VarBind], index: UInt = 0) throws(ReadinessMIBError) -> VarBind {
            guard let bind = binds[object] else {
                throw ReadinessMIBError("missing_object",
                                        "the notification has no \(name(oid([1] + object.arcs + [index])))")
            }
            return bind
        }

        let siteBind = try required(.siteCode, in: scalars)
        let siteCode = try text(siteBind)
        guard !siteCode.isEmpty else {
            throw ReadinessMIBError("missing_object", "\(name(siteBind.oid)) is empty: no site code")
        }
        let reasonsBind = try required(.reasonCodes, in: scalars)
        let reasons = try list(reasonsBind).map { item throws(ReadinessMIBError) in
            guard let key = ReasonKey(item) else {
                throw ReadinessMIBError("bad_reason", "\(name(reasonsBind.oid)) has \"\(item)\", not a known CODE or CODE:subject")
            }
            return key
        }
        let links = try rows.sorted { $0.key < $1.key }.map { row throws(ReadinessMIBError) in
            ReadinessNotification.Link(
                role: try text(required(.linkRole, in: row.value, index: row.key)),
                measuredMbps: try row.value[.linkMeasuredMbps].map { bind throws(ReadinessMIBError) in try gauge(bind) },
                targetMbps: try gauge(required(.linkTargetMbps, in: row.value, index: row.key)))
        }
        return ReadinessNotification(
            kind: kind,
            siteCode: siteCode,
            verdict: try verdict(required(.verdict, in: scalars)),
            // A verdict change's object only (the MIB's OBJECTS of a heartbeat have none): in a heartbeat it is ignored,
            // like any binding the notification does not define (found by the corpus: it was kept, and lost on encoding).
            previousVerdict: kind == .verdictChange
                ? try scalars[.previousVerdict].map { bind throws(ReadinessMIBError) in try verdict(bind) } : nil,
            reasons: reasons,
            failingServices: try list(required(.failingServices, in: scalars)),
            links: links,
            agentVersion: try text(required(.agentVersion, in: scalars)),
            reportSeq: try counter64(required(.reportSeq, in: scalars)),
            bootId: try text(required(.bootId, in: scalars)),
            undeliveredInforms: try counter32(required(.undeliveredInforms, in: scalars)))
    }

    // MARK: - OIDs and values

    /// Cannot fail: `init` bounds the root so that every OID of the MIB fits.
    private func oid(_ suffix: [UInt]) -> OID { try! OID(root.components + suffix) }

    private func bind(_ object: Object, _ value: SNMPValue, index: UInt = 0) -> VarBind {
        VarBind(oid: oid([1] + object.arcs + [index]), value: value)
    }

    /// The SansangVerdictState numbers.
    private static func number(_ verdict: VerdictState) -> Int32 {
        switch verdict {
        case .ready: 1
        case .degraded: 2
        case .notReady: 3
        case .unknown: 4
        }
    }

    /// SnmpAdminString is at most 255 octets of UTF-8: cut after the last whole character that fits.
    private static func adminString(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        for character in text {
            let utf8 = Array(String(character).utf8)
            guard bytes.count + utf8.count <= 255 else { break }
            bytes += utf8
        }
        return bytes
    }

    /// Comma-separated items in one SnmpAdminString: whole items only, as many as fit, in order.
    private static func adminStringList(_ items: [String]) -> [UInt8] {
        var text = ""
        for item in items {
            let longer = text.isEmpty ? item : text + "," + item
            guard longer.utf8.count <= 255 else { break }
            text = longer
        }
        return Array(text.utf8)
    }

    /// "sansangVerdict.0 (1.3.6.…)" for messages, or the bare OID outside the MIB.
    private func name(_ oid: OID) -> String {
        guard let object = Object.allCases.first(where: { objectOID($0).isPrefix(of: oid) }) else { return oid.description }
        let instance = oid.components.dropFirst(objectOID(object).components.count).map(String.init)
        return "\(([object.rawValue] + instance).joined(separator: ".")) (\(oid))"
    }

    private func wrongType(_ bind: VarBind, _ expected: String) -> ReadinessMIBError {
        ReadinessMIBError("wrong_type", "\(name(bind.oid)) holds \(bind.value), not \(expected)")
    }

    private func text(_ bind: VarBind) throws(ReadinessMIBError) -> String {
        guard let text = bind.value.string else { throw wrongType(bind, "an OCTET STRING (SnmpAdminString)") }
        return text
    }

    private func list(_ bind: VarBind) throws(ReadinessMIBError) -> [String] {
        try text(bind).split(separator: ",").map(String.init)
    }

    private func verdict(_ bind: VarBind) throws(ReadinessMIBError) -> VerdictState {
        guard case .integer(let value) = bind.value else { throw wrongType(bind, "an INTEGER (SansangVerdictState)") }
        guard let verdict = VerdictState.allCases.first(where: { Self.number($0) == value }) else {
            throw ReadinessMIBError("unknown_verdict",
                                    "\(name(bind.oid)) is \(value), not a SansangVerdictState: ready(1), degraded(2), notReady(3), unknown(4)")
        }
        return verdict
    }

    private func gauge(_ bind: VarBind) throws(ReadinessMIBError) -> UInt32 {
        guard case .gauge32(let value) = bind.value else { throw wrongType(bind, "a Gauge32") }
        return value
    }

    private func counter32(_ bind: VarBind) throws(ReadinessMIBError) -> UInt32 {
        guard case .counter32(let value) = bind.value else { throw wrongType(bind, "a Counter32") }
        return value
    }

    private func counter64(_ bind: VarBind) throws(ReadinessMIBError) -> UInt64 {
        guard case .counter64(let value) = bind.value else { throw wrongType(bind, "a Counter64") }
        return value
    }
}
