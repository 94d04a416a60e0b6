import Foundation

/// The wall clock of the offices. The collector's `office_time_zone:` sets it (default Vietnam time, UTC+7 all
/// year, no daylight saving); maintenance windows, alert times in messages, the weekly report's weeks, the
/// dashboard's times, the NOC CLI's times and the store's service days are all read in that one zone, passed
/// down from the configuration. `zone` is only the default of those settings.
public enum OfficeTime {
    public static let zoneIdentifier = "Asia/Ho_Chi_Minh"
    /// The default office time zone (when `office_time_zone:` is not given).
    public static let zone = TimeZone(identifier: zoneIdentifier)!

    /// The office day `date` falls in, as a day number (days since 1970-01-01 on the office's wall clock): the
    /// day a service check counts for in the stores' daily tallies.
    public static func day(of date: Date, in zone: TimeZone) -> Int {
        Int(floor((date.timeIntervalSince1970 + Double(zone.secondsFromGMT(for: date))) / 86400))
    }
}
