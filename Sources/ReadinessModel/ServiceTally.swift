import Foundation

/// One service's checks over a period (the weekly report's week), all sites together: how many passed of how
/// many ran.
public struct ServiceTally: Sendable, Hashable, Codable {
    public var service: String
    public var ok: Int
    public var total: Int

    public init(service: String, ok: Int, total: Int) {
        self.service = service
        self.ok = ok
        self.total = total
    }
}
