import Foundation
import ReadinessModel
import TestSupport
import WeeklyReport

/// Inputs for the weekly report tests.
enum Fixture {
    static let zone = TimeZone(identifier: "Asia/Ho_Chi_Minh")!
    static let week = ISOWeek("2026-W48")!
    /// Monday 30 November 2026, 07:00 in Đà Nẵng: when the timer sends the report on 2026-W48.
    static let generatedAt = Date(timeIntervalSince1970: 1_795_996_800)

    static func site(_ code: String, _ name: String, _ district: String, office: Bool = true) -> Site {
        Site(code: code, name: name, type: name.hasPrefix("Xã") ? .xa : .phuong, province: "Thành phố Đà Nẵng",
             formerDistrict: district, hasOffice: office)
    }

    /// A verdict with reasons given as "CODE:subject".
    static func verdict(_ state: VerdictState, _ reasons: [String] = []) -> VerdictSnapshot {
        VerdictSnapshot(state: state, reasons: reasons.map { text in
            let key = ReasonKey(text)!
            return Reason(code: key.code, subject: key.subject, impact: state, evidence: "test")
        })
    }

    static func input(sites: [Site], now: [String: VerdictSnapshot], before: [String: VerdictSnapshot],
                      history: [WeekFigure] = [], services: [ServiceTally] = []) -> WeeklyReportInput {
        WeeklyReportInput(week: week, timeZone: zone, generatedAt: generatedAt, title: "Đà Nẵng", sites: sites,
                          atEnd: now, atPreviousEnd: before, history: history, services: services)
    }

    /// `ready` for each of the weeks ending with 2026-W48, out of `total`.
    static func history(_ ready: [Int], total: Int) -> [WeekFigure] {
        ready.enumerated().map { WeekFigure(week: week.advanced(by: $0.offset - ready.count + 1), ready: $0.element, total: total) }
    }

    /// The 94 units of Đà Nẵng (inventory/danang.yaml; Hoàng Sa has no office) in a week where 4 offices became
    /// ready and one regressed: 81/93, +3 since 78/93.
    static let danang: WeeklyReportInput = {
        let sites = danangSites()
        let offices = sites.filter(\.hasOffice)
        var now: [String: VerdictSnapshot] = [:]
        var before: [String: VerdictSnapshot] = [:]
        let stillFailing: [[String]?] = [["LINK_BELOW_TARGET:lan"], ["THROUGHPUT_LOW:wan", "SERVICE_DOWN:dvc"], ["SERVICE_DOWN:dvc"], nil]
        for (index, site) in offices.enumerated() {
            switch index {
            case ..<77:
                now[site.code] = verdict(.ready)
                before[site.code] = verdict(.ready)
            case 77:
                now[site.code] = verdict(.ready)
                before[site.code] = verdict(.notReady, ["THROUGHPUT_LOW:wan"])
            case 78:
                now[site.code] = verdict(.ready)  // no verdict the week before: its agent was installed this week
            case 79:
                now[site.code] = verdict(.ready)
                before[site.code] = verdict(.degraded, ["SERVICE_SLOW:dvc"])
            case 80:
                now[site.code] = verdict(.ready)
                before[site.code] = verdict(.unknown, ["STALE"])
            case 81:
                now[site.code] = verdict(.notReady, ["LINK_BELOW_TARGET:lan", "SPEED_MISMATCH:lan"])
                before[site.code] = verdict(.ready)
            default:
                if let reasons = stillFailing[index % stillFailing.count] {
                    now[site.code] = verdict(reasons.contains { $0.hasPrefix("SERVICE") } ? .degraded : .notReady, reasons)
                }
                before[site.code] = verdict(.notReady, ["LINK_BELOW_TARGET:lan"])
            }
        }
        return input(
            sites: sites, now: now, before: before,
            history: history([60, 62, 63, 65, 67, 69, 70, 72, 74, 75, 78, 81], total: 93),
            services: [
                ServiceTally(service: "dvc", ok: 9_800, total: 10_000), ServiceTally(service: "mail", ok: 4_990, total: 5_000),
                ServiceTally(service: "dns", ok: 10_000, total: 10_000), ServiceTally(service: "vpn", ok: 0, total: 0),
            ])
    }()

    /// The office that regressed in `danang`.
    static var regressedOffice: Site { danang.sites.filter(\.hasOffice)[81] }

    /// The sites of inventory/danang.yaml: code, name, type, former district, has_office (the rest is not needed).
    static func danangSites() -> [Site] {
        let text = try! String(contentsOf: packageRoot.appendingPathComponent("inventory/danang.yaml"), encoding: .utf8)
        var sites: [Site] = []
        func value(_ line: Substring) -> String {
            String(line.split(separator: ":", maxSplits: 1)[1]).trimmingCharacters(in: .whitespaces)
                .trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        for line in text.split(separator: "\n") {
            let field = line.trimmingCharacters(in: .whitespaces)
            if field.hasPrefix("- code:") {
                sites.append(Site(code: value(line), name: "", type: .xa, province: "Thành phố Đà Nẵng"))
            } else if line.hasPrefix("    "), !line.hasPrefix("      "), !sites.isEmpty {
                switch field.split(separator: ":").first {
                case "name": sites[sites.count - 1].name = value(line)
                case "type": sites[sites.count - 1].type = SiteType(rawValue: value(line))!
                case "former_district": sites[sites.count - 1].formerDistrict = value(line)
                case "has_office": sites[sites.count - 1].hasOffice = value(line) == "true"
                default: break
                }
            }
        }
        return sites
    }
}
