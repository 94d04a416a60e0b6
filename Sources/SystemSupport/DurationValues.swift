/// The one set of conversions from `Duration` to plain numbers (for logs, metrics, JSON and C calls).
extension Duration {
    /// Whole and fractional seconds.
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }

    /// Milliseconds, rounded to three decimals (microseconds): what reports and facts carry.
    public var inMilliseconds: Double {
        let (seconds, attoseconds) = components
        return (Double(seconds) * 1e3 + Double(attoseconds) / 1e15).rounded(toPlaces: 3)
    }

    /// Whole nanoseconds (truncated).
    public var inNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

extension Double {
    /// This value rounded to `places` decimals (half away from zero).
    public func rounded(toPlaces places: Int) -> Double {
        let factor = (0..<places).reduce(1.0) { factor, _ in factor * 10 }
        return (self * factor).rounded() / factor
    }
}
