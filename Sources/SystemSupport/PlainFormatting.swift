/// Numbers as text without Foundation's `String(format:)`, which goes through CoreFoundation's formatter and pages in
/// megabytes of its code and data: in a long-running process that is resident memory for a few digits
/// (docs/performance.md, "Agent footprint"). Same output as the `printf` conversions named.
extension Double {
    /// `String(format: "%.Nf", self)` for N = `places` (0...9), rounded half away from zero; "nan", "inf", "-inf".
    public func fixed(_ places: Int) -> String {
        guard isFinite else { return isNaN ? "nan" : (self < 0 ? "-inf" : "inf") }
        let places = Swift.min(9, Swift.max(0, places))
        let factor = (0..<places).reduce(1.0) { factor, _ in factor * 10 }
        let scaled = (abs(self) * factor).rounded()
        // Past 2^63 the decimals no longer exist in a Double: print the integer part only.
        guard scaled < 9.2e18 else { return (self < 0 ? "-" : "") + String(Int64(abs(self).rounded())) }
        let units = UInt64(scaled)
        let divisor = UInt64(factor)
        let whole = String(units / divisor)
        let negative = self < 0 && units > 0
        guard places > 0 else { return (negative ? "-" : "") + whole }
        let fraction = String(units % divisor)
        return (negative ? "-" : "") + whole + "." + String(repeating: "0", count: places - fraction.count) + fraction
    }
}

extension BinaryInteger {
    /// `String(format: "%0Nd", self)` for N = `width`.
    public func zeroPadded(_ width: Int) -> String {
        let digits = String(self.magnitude)
        let padding = String(repeating: "0", count: Swift.max(0, width - digits.count - (self < 0 ? 1 : 0)))
        return (self < 0 ? "-" : "") + padding + digits
    }
}
