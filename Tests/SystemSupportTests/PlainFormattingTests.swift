import Foundation
import SystemSupport
import Testing

/// The Foundation-free number formatting gives what `String(format:)` gives for the values the agent prints.
@Suite struct PlainFormattingTests {
    @Test func fixedIsPrintfsFixedPoint() {
        let values: [Double] = [0, -0.0, 1, -1, 0.5, 1.5, 2.5, -2.5, 0.125, 2.675, 1.005, 0.0004, -0.0004, 0.0005, 12.3456, -12.3456,
                                999.9995, 1234567.891, 0.1 + 0.2, 3.14159, 1e-9, 86_400.25, -1e6 - 0.0625]
        for value in values {
            for places in 0...3 {
                #expect(value.fixed(places) == String(format: "%.\(places)f", value), "\(value) to \(places) places")
            }
        }
        #expect(Double.nan.fixed(3) == "nan")
        #expect(Double.infinity.fixed(1) == "inf")
        #expect((-Double.infinity).fixed(1) == "-inf")
    }

    @Test func zeroPaddedIsPrintfsZeroPadding() {
        for (value, width) in [(7, 2), (12, 2), (2026, 4), (5, 4), (0, 2), (123, 2), (-5, 3)] {
            #expect(value.zeroPadded(width) == String(format: "%0\(width)d", value), "\(value) width \(width)")
        }
    }
}
