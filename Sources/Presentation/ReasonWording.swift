import ReadinessModel

/// Reason codes in words, for people: the code stays machine-readable, this says what it means.
public struct ReasonWording: Sendable {
    public let language: Language

    public init(language: Language) {
        self.language = language
    }

    /// A short phrase for a reason code and its subject, e.g. "đường truyền lan dưới mục tiêu".
    public func phrase(_ reason: Reason) -> String {
        let subject = reason.subject ?? ""
        let t = language.pick
        switch reason.code {
        case .linkBelowTarget: return t("liên kết \(subject) dưới mục tiêu", "link \(subject) below target")
        case .throughputLow: return t("thông lượng \(subject) thấp hơn mục tiêu", "throughput on \(subject) below target")
        case .serviceDown: return t("dịch vụ \(subject) không truy cập được", "service \(subject) unreachable")
        case .serviceSlow: return t("dịch vụ \(subject) chậm", "service \(subject) slow")
        case .certExpiring: return t("chứng thư của \(subject) sắp hết hạn", "certificate of \(subject) expiring")
        case .speedMismatch: return t("các nguồn báo tốc độ \(subject) khác nhau", "sources disagree on the speed of \(subject)")
        case .stale: return t("agent im lặng quá lâu", "agent silent for too long")
        case .noData: return reason.subject == nil ? t("chưa có báo cáo", "no report yet") : t("chưa có số liệu cho \(subject)", "no data for \(subject)")
        case .clockSkew: return t("đồng hồ máy lệch", "host clock skewed")
        case .dnsUnavailable: return t("không phân giải được tên miền (DNS)", "names cannot be resolved (DNS)")
        case .wanDown: return t("đường truyền mất kết nối", "line down")
        }
    }

    public func state(_ state: VerdictState) -> String {
        language.pick(state.vietnameseName, state.rawValue.replacingOccurrences(of: "_", with: " "))
    }
}
