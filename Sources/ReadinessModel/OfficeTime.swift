import Foundation

/// The wall clock of the offices: Vietnam time (UTC+7 all year, no daylight saving). Maintenance windows,
/// alert times in messages, the weekly report's weeks and the store's service days are all read in this zone;
/// it is defined here once.
public enum OfficeTime {
    public static let zoneIdentifier = "Asia/Ho_Chi_Minh"
    public static let zone = TimeZone(identifier: zoneIdentifier)!
    /// Seconds east of UTC (Vietnam keeps no daylight saving time, so this holds for every date).
    public static var offsetSeconds: Int { zone.secondsFromGMT(for: Date(timeIntervalSince1970: 0)) }
}
