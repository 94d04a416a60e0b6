/// Numbers as text without Foundation's `String(format:)`, which goes through CoreFoundation's formatter and pages in
/// megabytes of its code and data: in a long-running process that is resident memory for a few digits
/// (docs/performance.md, "Agent footprint"). Same output as the `printf` conversions named.
extension Double {
    /// `String(format: "%.Nf", self)` for N = `places` (0...9): ties to even, as printf; "nan", "inf", "-inf".
    public func fixed(_ places: Int) -> String {
        guard isFinite else { return isNaN ? "nan" : (self < 0 ? "-inf" : "inf") }
        let places = Swift.min(9, Swift.max(0, places))
        let factor = (0..<places).reduce(1.0) { factor, _ in factor * 10 }
        let magnitude = abs(self)
        let product = magnitude * factor
        // Past 2^52 a Double has no fraction left to round: print the integer part only.
        guard product < 4.5e15 else { return (sign == .minus ? "-" : "") + String(UInt64(magnitude.rounded())) }
        // The product's rounding error, exactly (fused multiply-add): it decides a tie the rounded product shows,
        // so that the digits are those of the exact binary value, as printf prints them.
        let error = (-product).addingProduct(magnitude, factor)
        var units = product.rounded(.down)
        let fraction = product - units
        if fraction > 0.5 || (fraction == 0.5 && (error > 0 || (error == 0 && units.truncatingRemainder(dividingBy: 2) == 1))) {
            units += 1
        }
        let divisor = UInt64(factor)
        let whole = String(UInt64(units) / divisor)
        let sign = self.sign == .minus ? "-" : ""
        guard places > 0 else { return sign + whole }
        let fractionDigits = String(UInt64(units) % divisor)
        return sign + whole + "." + String(repeating: "0", count: places - fractionDigits.count) + fractionDigits
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
