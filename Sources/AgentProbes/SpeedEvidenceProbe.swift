import ReadinessModel

/// A source of speed evidence for a link: each reads independently and reports unknown, never zero,
/// when it cannot read (docs/readiness.md, "Speed evidence").
public protocol SpeedEvidenceProbe: Sendable {
    var source: SpeedSource { get }
    /// Reads the evidence for the link on `interface`. Never throws: failures become an unknown reading.
    func reading(interface: String) async -> SpeedReading
}
