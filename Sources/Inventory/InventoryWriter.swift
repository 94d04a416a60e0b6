import YAMLConfig
import ReadinessModel

/// Writes sites as an inventory file that `InventoryLoader` reads back to the same sites.
public enum InventoryWriter {
    /// YAML text; `comment` lines go first as `#` comments. A province or profile shared by every site
    /// is written once at the top as the file's default.
    public static func yaml(sites: [Site], comment: [String] = []) -> String {
        var out = comment.map { $0.isEmpty ? "#\n" : "# \($0)\n" }.joined()
        let province = sites.first.map(\.province).flatMap { first in sites.allSatisfy { $0.province == first } ? first : nil }
        let profile = sites.first.map(\.profile).flatMap { first in sites.allSatisfy { $0.profile == first } ? first : nil }
        if let province { out += "province: \(scalar(province))\n" }
        if let profile { out += "profile: \(scalar(profile))\n" }
        if !out.isEmpty { out += "\n" }
        out += sites.isEmpty ? "sites: []\n" : "sites:\n"
        for site in sites {
            out += "  - code: \(scalar(site.code))\n"
            var lines: [String] = ["name: \(scalar(site.name))", "type: \(site.type.rawValue)"]
            if province == nil { lines.append("province: \(scalar(site.province))") }
            if !site.formerDistrict.isEmpty { lines.append("former_district: \(scalar(site.formerDistrict))") }
            if let location = site.location {
                lines.append("location: {lat: \(location.latitude), lon: \(location.longitude)}")
            }
            if !site.hasOffice { lines.append("has_office: false") }
            if profile == nil { lines.append("profile: \(scalar(site.profile))") }
            if !site.contacts.isEmpty {
                lines.append("contacts:")
                for contact in site.contacts {
                    let fields = [("name", contact.name), ("role", contact.role), ("phone", contact.phone),
                                  ("email", contact.email)]
                    lines += block(fields.compactMap { key, value in value.map { "\(key): \(scalar($0))" } }, indent: 2)
                }
            }
            if !site.overrides.isEmpty { lines += overrides(site.overrides) }
            out += lines.map { "    \($0)\n" }.joined()
        }
        return out
    }

    private static func overrides(_ overrides: ProfileOverrides) -> [String] {
        var lines = ["overrides:"]
        if !overrides.linkTargets.isEmpty {
            let targets = LinkRole.allCases.compactMap { role in overrides.linkTargets[role].map { "\(role.rawValue): \($0)" } }
            lines.append("  link_targets: {\(targets.joined(separator: ", "))}")
        }
        if !overrides.skipServices.isEmpty {
            lines.append("  skip_services: [\(overrides.skipServices.sorted().map(scalar).joined(separator: ", "))]")
        }
        if !overrides.extraServices.isEmpty {
            lines.append("  extra_services:")
            for service in overrides.extraServices {
                var fields = ["name: \(scalar(service.name))", "kind: \(service.kind.rawValue)",
                              "host: \(scalar(service.host))"]
                if let port = service.port { fields.append("port: \(port)") }
                if let path = service.path { fields.append("path: \(scalar(path))") }
                if !service.required { fields.append("required: false") }
                let t = service.thresholds
                if t != ServiceThresholds() {
                    fields.append("thresholds: {slow_ms: \(t.slowMilliseconds), cert_min_days: \(t.certificateMinDays), "
                                  + "max_loss_percent: \(t.maxLossPercent), max_clock_offset_ms: \(t.maxClockOffsetMilliseconds)}")
                }
                lines += block(fields, indent: 4)
            }
        }
        return lines
    }

    /// A list item: "- " before the first line, spaces before the others.
    private static func block(_ fields: [String], indent: Int) -> [String] {
        let pad = String(repeating: " ", count: indent)
        return fields.enumerated().map { $0 == 0 ? "\(pad)- \($1)" : "\(pad)  \($1)" }
    }

    /// A string as a YAML scalar: plain when it cannot be read as anything else, double-quoted otherwise.
    static func scalar(_ text: String) -> String {
        let reserved: Set<String> = ["true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"]
        let safe = text.unicodeScalars.allSatisfy {
            $0.properties.isAlphabetic || $0.properties.numericType != nil || " -_./()'".unicodeScalars.contains($0)
        }
        if let first = text.unicodeScalars.first, first.properties.isAlphabetic, safe, text.last != " ",
           !reserved.contains(text.lowercased()) {
            return text
        }
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\t": quoted += "\\t"
            case _ where scalar.value < 0x20: quoted += "\\x" + String(scalar.value, radix: 16, uppercase: true)
                .leftPadded(to: 2)
            default: quoted.unicodeScalars.append(scalar)
            }
        }
        return quoted + "\""
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
