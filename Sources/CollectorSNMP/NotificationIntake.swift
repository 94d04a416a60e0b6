import CollectorCore
import Foundation
import Inventory
import ReadinessMIB
import SansangAPI
import SNMP

/// Why the collector refused a notification the receiver let through (authenticated, but not acceptable).
public enum IntakeRejection: String, Error, Sendable, CaseIterable {
    /// Not a SANSANG-READINESS-MIB notification, or one it cannot decode.
    case notReadinessMIB = "not_readiness_mib"
    /// The site code is not an office in the inventory.
    case unknownSite = "unknown_site"
    /// The user or community may not speak for that site.
    case siteNotAllowed = "site_not_allowed"
}

/// Turns what the receiver accepted into an event on a site, or says why not. Pure: no I/O.
public struct NotificationIntake: Sendable {
    public let mib: ReadinessMIB
    public let settings: CollectorConfiguration.SNMPSettings

    public init(settings: CollectorConfiguration.SNMPSettings) {
        self.settings = settings
        self.mib = ReadinessMIB(root: settings.oidRoot)
    }

    public func accept(_ received: ReceivedNotification, inventory: Inventory) -> Result<SiteNotification, IntakeRejection> {
        guard let trapOID = received.trapOID,
              let content = try? mib.decode(trapOID: trapOID, varBinds: received.varBinds)
        else { return .failure(.notReadinessMIB) }
        guard let site = inventory.site(code: content.siteCode), site.hasOffice else { return .failure(.unknownSite) }
        let allowed: Set<String>
        let sender: String
        switch received.sender {
        case .v3(let user, _):
            allowed = settings.users.first { $0.security.user == user }?.sites ?? []
            sender = "v3:\(user)"
        case .v2c(let community):
            allowed = settings.communities.first { $0.community == community }?.sites ?? []
            sender = "v2c"
        }
        guard allowed.isEmpty || allowed.contains(site.code) else { return .failure(.siteNotAllowed) }
        return .success(SiteNotification(
            site: site.code, receivedAt: received.receivedAt,
            kind: content.kind == .verdictChange ? .verdictChange : .heartbeat,
            verdict: content.verdict, previousVerdict: content.previousVerdict,
            reasons: content.reasons.map(\.description), failingServices: content.failingServices,
            links: content.links.map { SiteNotification.Link(role: $0.role, measuredMbps: $0.measuredMbps, targetMbps: $0.targetMbps) },
            agentVersion: content.agentVersion, reportSeq: content.reportSeq, bootId: content.bootId,
            undeliveredInforms: content.undeliveredInforms, sender: sender, source: received.source))
    }
}
