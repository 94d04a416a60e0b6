import Foundation
import ReadinessModel

extension AgentIdentity {
    /// This agent process: the package version, the host name and a boot id drawn at start. The boot id is
    /// per process, not the kernel's: an agent restarted without a reboot starts its sequence again, and
    /// (site, boot id, seq) must still name one report.
    public static func current(bootId: String = UUID().uuidString.lowercased()) -> AgentIdentity {
        AgentIdentity(version: SansangVersion.current, hostname: ProcessInfo.processInfo.hostName, bootId: bootId)
    }
}
