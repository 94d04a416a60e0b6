import YAMLConfig
import ReadinessModel
import Yams

/// A name used in one place that must be defined elsewhere (a profile, a service).
struct Reference {
    var name: String
    var location: SourceLocation
    var field: String
}

/// A site as read from one file, with what the cross-file checks need even when the site itself had errors.
struct SiteEntry {
    var code: String?
    var codeLocation: SourceLocation
    var field: String
    var profile: Reference
    var skippedServices: [Reference]
    /// Nil when any field of the site was wrong.
    var site: Site?
}

struct ProfileEntry {
    var profile: Profile
    var location: SourceLocation
    var field: String
    /// False when part of the profile was wrong: it still counts as defined (no cascade of
    /// "unknown profile" errors), but its service list is not trusted for cross-checks.
    var complete: Bool
}

/// Everything one inventory file says, before it is checked against the other files.
struct DocumentContents {
    var sites: [SiteEntry] = []
    var profiles: [ProfileEntry] = []
    var errors: [InventoryError] = []
}

enum DocumentKeys {
    static let top = ["sites", "profiles", "province", "profile", "former_district"]
    static let site = ["code", "name", "type", "province", "former_district", "location", "contacts", "has_office",
                       "profile", "overrides", "maintenance"]
    static let maintenance = ["start", "end", "days", "from", "to", "comment"]
    static let location = ["lat", "lon"]
    static let contact = ["name", "role", "phone", "email"]
    static let overrides = ["link_targets", "skip_services", "extra_services"]
    static let profile = ["name", "description", "links", "services", "throughput"]
    static let link = ["role", "target_mbps", "minimum_fraction", "directions", "max_measurement_age_hours"]
    static let service = ["name", "kind", "host", "port", "path", "required", "thresholds"]
    static let thresholds = ["slow_ms", "cert_min_days", "max_loss_percent", "max_clock_offset_ms"]
    static let throughput = ["servers", "duration_s", "parallel", "directions", "window_start", "window_end",
                             "every_hours", "daily_byte_budget"]
}

/// Decodes one inventory file's text. Pure: no file system access.
func decodeDocument(yaml: String, file: String) -> DocumentContents {
    let root: Node?
    switch composeYAML(yaml, file: file) {
    case .success(let node): root = node
    case .failure(let error): return DocumentContents(errors: [error])
    }
    guard let root else { return DocumentContents() }
    var decoder = DocumentDecoder(reader: NodeReader(file: file))
    var contents = decoder.document(Field(node: root, path: ""))
    contents.errors = decoder.reader.errors
    return contents
}

/// File-level defaults for the sites of one file.
private struct Defaults {
    var province: String?
    var formerDistrict: String?
    var profile: Reference?
}

private struct DocumentDecoder {
    var reader: NodeReader

    mutating func document(_ root: Field) -> DocumentContents {
        var contents = DocumentContents()
        guard let top = reader.mapping(root, allowed: DocumentKeys.top) else { return contents }
        var defaults = Defaults()
        if let field = top["province"] { defaults.province = reader.nonEmptyString(field) }
        if let field = top["former_district"] { defaults.formerDistrict = reader.nonEmptyString(field) }
        if let field = top["profile"], let name = reader.nonEmptyString(field) {
            defaults.profile = Reference(name: name, location: reader.location(field.node), field: field.path)
        }
        if let field = top["profiles"] { contents.profiles = profiles(field) }
        if let field = top["sites"], let items = reader.list(field) {
            contents.sites = items.compactMap { site($0, defaults: defaults) }
        }
        return contents
    }

    // MARK: Sites

    mutating func site(_ field: Field, defaults: Defaults) -> SiteEntry? {
        let errorsBefore = reader.errors.count
        guard let keys = reader.mapping(field, allowed: DocumentKeys.site, required: ["code", "name", "type"]) else {
            return nil
        }
        let code = keys["code"].flatMap { siteCode($0) }
        let name = keys["name"].flatMap { reader.nonEmptyString($0) }
        let type = keys["type"].flatMap { reader.enumeration($0, SiteType.self) }
        var province = defaults.province
        if let field = keys["province"] {
            province = reader.nonEmptyString(field)
        } else if province == nil {
            reader.report(.missingKey, "missing required key \"province\" (or a file-level \"province:\")",
                          at: field.node, field: field.child("province"))
        }
        let formerDistrict = keys["former_district"].map { reader.nonEmptyString($0) } ?? defaults.formerDistrict
        let location = keys["location"].flatMap { geoLocation($0) }
        let contacts = keys["contacts"].flatMap { list($0) { $0.contact($1) } } ?? []
        let hasOffice = keys["has_office"].flatMap { reader.bool($0) } ?? true

        let profile: Reference
        if let field = keys["profile"] {
            profile = Reference(name: reader.nonEmptyString(field) ?? "", location: reader.location(field.node),
                                field: field.path)
        } else {
            // Without a site or file `profile:`, a site uses the profile named "default".
            profile = defaults.profile
                ?? Reference(name: "default", location: reader.location(field.node), field: field.child("profile"))
        }
        var skipped: [Reference] = []
        let overrides = keys["overrides"].flatMap { self.overrides($0, skipped: &skipped) } ?? ProfileOverrides()
        let maintenance = keys["maintenance"].flatMap { list($0) { $0.maintenanceWindow($1) } } ?? []

        var site: Site?
        if reader.errors.count == errorsBefore, let code, let name, let type, let province {
            site = Site(code: code, name: name, type: type, province: province, formerDistrict: formerDistrict ?? "",
                        location: location, contacts: contacts, hasOffice: hasOffice, profile: profile.name,
                        overrides: overrides, maintenance: maintenance)
        }
        return SiteEntry(code: code, codeLocation: reader.location(keys["code"]?.node ?? field.node),
                         field: field.path, profile: profile, skippedServices: skipped, site: site)
    }

    /// Official administrative codes are five digits (GSO numbering of commune-level units).
    mutating func siteCode(_ field: Field) -> String? {
        guard let code = reader.string(field) else { return nil }
        guard code.count == 5, code.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            reader.report(.invalidCode, "invalid code \"\(code)\": must be 5 digits, e.g. \"20242\"", at: field)
            return nil
        }
        return code
    }

    mutating func geoLocation(_ field: Field) -> GeoLocation? {
        guard let keys = reader.mapping(field, allowed: DocumentKeys.location, required: DocumentKeys.location),
              let lat = keys["lat"].flatMap({ reader.double($0, in: -90...90) }),
              let lon = keys["lon"].flatMap({ reader.double($0, in: -180...180) }) else { return nil }
        return GeoLocation(latitude: lat, longitude: lon)
    }

    mutating func contact(_ field: Field) -> Contact? {
        guard let keys = reader.mapping(field, allowed: DocumentKeys.contact, required: ["name"]),
              let name = keys["name"].flatMap({ reader.nonEmptyString($0) }) else { return nil }
        return Contact(name: name, role: keys["role"].flatMap { reader.string($0) },
                       phone: keys["phone"].flatMap { reader.string($0) },
                       email: keys["email"].flatMap { reader.string($0) })
    }

    /// `{start, end}` once, or `{days, from, to}` every week (local time; `to` before `from` runs past midnight).
    mutating func maintenanceWindow(_ field: Field) -> MaintenanceWindow? {
        guard let keys = reader.mapping(field, allowed: DocumentKeys.maintenance) else { return nil }
        let comment = keys["comment"].flatMap { reader.string($0) }
        if let startField = keys["start"] {
            guard let endField = keys["end"] else {
                reader.report(.missingKey, "missing required key \"end\"", at: field.node, field: field.child("end"))
                return nil
            }
            guard let start = reader.timestamp(startField), let end = reader.timestamp(endField) else { return nil }
            guard start < end else {
                reader.report(.badValue, "end must be after start", at: endField)
                return nil
            }
            return .once(from: start, to: end, comment: comment)
        }
        guard let daysField = keys["days"] else {
            reader.report(.missingKey, "a window needs \"start\" and \"end\", or \"days\", \"from\" and \"to\"",
                          at: field.node, field: field.child("days"))
            return nil
        }
        let days = reader.enumerations(daysField, Weekday.self)
        var minutes: [Int] = []
        for key in ["from", "to"] {
            guard let value = keys[key] else {
                reader.report(.missingKey, "missing required key \"\(key)\"", at: field.node, field: field.child(key))
                return nil
            }
            guard let time = reader.timeOfDay(value) else { return nil }
            minutes.append(Int(time.prefix(2))! * 60 + Int(time.suffix(2))!)
        }
        guard let days else { return nil }
        guard minutes[0] != minutes[1] else {
            reader.report(.badValue, "from and to must differ", at: keys["to"]!)
            return nil
        }
        return .weekly(.init(days: Set(days.map(\.isoNumber)), fromMinute: minutes[0], toMinute: minutes[1]), comment: comment)
    }

    mutating func overrides(_ field: Field, skipped: inout [Reference]) -> ProfileOverrides? {
        guard let keys = reader.mapping(field, allowed: DocumentKeys.overrides) else { return nil }
        var result = ProfileOverrides()
        if let field = keys["link_targets"], let pairs = reader.pairs(field) {
            for (_, keyNode, value) in pairs {
                let role = reader.enumeration(Field(node: keyNode, path: value.path), LinkRole.self)
                if let role, let target = reader.target(value) { result.linkTargets[role] = target }
            }
        }
        if let field = keys["skip_services"], let items = reader.list(field) {
            for item in items {
                guard let name = reader.nonEmptyString(item) else { continue }
                result.skipServices.insert(name)
                skipped.append(Reference(name: name, location: reader.location(item.node), field: item.path))
            }
        }
        if let field = keys["extra_services"] { result.extraServices = services(field) ?? [] }
        return result
    }

    // MARK: Profiles

    /// `profiles:` as a list of profiles with a `name`, or as a mapping from name to profile.
    mutating func profiles(_ field: Field) -> [ProfileEntry] {
        if case .mapping = field.node {
            guard let pairs = reader.pairs(field) else { return [] }
            return pairs.compactMap { key, keyNode, value in
                profile(value, name: key, nameLocation: reader.location(keyNode))
            }
        }
        guard let items = reader.list(field) else { return [] }
        return items.compactMap { profile($0, name: nil, nameLocation: nil) }
    }

    mutating func profile(_ field: Field, name mapName: String?, nameLocation: SourceLocation?) -> ProfileEntry? {
        let errorsBefore = reader.errors.count
        guard let keys = reader.mapping(field, allowed: DocumentKeys.profile,
                                        required: mapName == nil ? ["name"] : []) else { return nil }
        var name = mapName
        var location = nameLocation ?? reader.location(field.node)
        if let nameField = keys["name"], let written = reader.nonEmptyString(nameField) {
            if let mapName, written != mapName {
                reader.report(.badValue, "name \"\(written)\" differs from its key \"\(mapName)\"", at: nameField)
            }
            name = written
            location = reader.location(nameField.node)
        }
        var profile = Profile(name: name ?? "")
        if let field = keys["description"], let text = reader.string(field) { profile.description = text }
        if let field = keys["links"] { profile.links = links(field) ?? [] }
        if let field = keys["services"] { profile.services = services(field) ?? [] }
        if let field = keys["throughput"], let policy = throughput(field) { profile.throughput = policy }
        guard name != nil else { return nil }
        return ProfileEntry(profile: profile, location: location, field: field.path,
                            complete: reader.errors.count == errorsBefore)
    }

    mutating func links(_ field: Field) -> [LinkTarget]? {
        guard let items = reader.list(field) else { return nil }
        var seen: Set<LinkRole> = []
        var result: [LinkTarget] = []
        for item in items {
            guard let keys = reader.mapping(item, allowed: DocumentKeys.link, required: ["role", "target_mbps"]),
                  let roleField = keys["role"], let role = reader.enumeration(roleField, LinkRole.self) else { continue }
            guard seen.insert(role).inserted else {
                reader.report(.badValue, "link role \"\(role.rawValue)\" is listed twice", at: roleField)
                continue
            }
            var link = LinkTarget(role: role, targetMbps: 0)
            guard let target = keys["target_mbps"].flatMap({ reader.target($0) }) else { continue }
            link.targetMbps = target
            if let field = keys["minimum_fraction"], let value = reader.double(field, in: 0.01...1) {
                link.minimumFraction = value
            }
            if let field = keys["directions"], let value = reader.enumerations(field, ThroughputDirection.self) {
                link.directions = value
            }
            if let field = keys["max_measurement_age_hours"], let value = reader.int(field, in: 1...8760) {
                link.maxMeasurementAgeHours = value
            }
            result.append(link)
        }
        return result
    }

    mutating func services(_ field: Field) -> [ServiceCheck]? {
        guard let items = reader.list(field) else { return nil }
        var firstByName: [String: SourceLocation] = [:]
        var result: [ServiceCheck] = []
        for item in items {
            guard let keys = reader.mapping(item, allowed: DocumentKeys.service, required: ["name", "kind", "host"]),
                  let nameField = keys["name"], let name = reader.nonEmptyString(nameField) else { continue }
            if let first = firstByName[name] {
                reader.report(.duplicateServiceName, "duplicate service \"\(name)\" (first at \(first))", at: nameField)
                continue
            }
            firstByName[name] = reader.location(nameField.node)
            guard let kind = keys["kind"].flatMap({ reader.enumeration($0, ServiceKind.self) }),
                  let host = keys["host"].flatMap({ reader.nonEmptyString($0) }) else { continue }
            var service = ServiceCheck(name: name, kind: kind, host: host)
            if let field = keys["port"] { service.port = reader.int(field, in: 1...65535) }
            if service.port == nil, kind == .tcp || kind == .tls, keys["port"] == nil {
                reader.report(.missingKey, "missing required key \"port\" (a \(kind.rawValue) check needs one)",
                              at: item.node, field: item.child("port"))
            }
            if let field = keys["path"], let path = reader.string(field) {
                if path.hasPrefix("/") { service.path = path } else {
                    reader.report(.badValue, "path \"\(path)\" must start with \"/\"", at: field)
                }
            }
            if let field = keys["required"], let value = reader.bool(field) { service.required = value }
            if let field = keys["thresholds"], let value = thresholds(field) { service.thresholds = value }
            result.append(service)
        }
        return result
    }

    mutating func thresholds(_ field: Field) -> ServiceThresholds? {
        guard let keys = reader.mapping(field, allowed: DocumentKeys.thresholds) else { return nil }
        var result = ServiceThresholds()
        if let field = keys["slow_ms"], let value = reader.int(field, in: 1...600_000) {
            result.slowMilliseconds = value
        }
        if let field = keys["cert_min_days"], let value = reader.int(field, in: 0...3650) {
            result.certificateMinDays = value
        }
        if let field = keys["max_loss_percent"], let value = reader.double(field, in: 0...100) {
            result.maxLossPercent = value
        }
        if let field = keys["max_clock_offset_ms"], let value = reader.int(field, in: 1...3_600_000) {
            result.maxClockOffsetMilliseconds = value
        }
        return result
    }

    mutating func throughput(_ field: Field) -> ThroughputPolicy? {
        guard let keys = reader.mapping(field, allowed: DocumentKeys.throughput) else { return nil }
        var policy = ThroughputPolicy()
        if let field = keys["servers"], let pairs = reader.pairs(field) {
            for (_, keyNode, value) in pairs {
                let role = reader.enumeration(Field(node: keyNode, path: value.path), LinkRole.self)
                guard let items = reader.list(value) else { continue }
                let servers = items.compactMap { serverAddress($0) }
                if let role, servers.count == items.count { policy.servers[role] = servers }
            }
        }
        if let field = keys["duration_s"], let value = reader.int(field, in: 1...3600) { policy.durationSeconds = value }
        if let field = keys["parallel"], let value = reader.int(field, in: 1...128) { policy.parallelStreams = value }
        if let field = keys["directions"], let value = reader.enumerations(field, ThroughputDirection.self) {
            policy.directions = value
        }
        if let field = keys["window_start"], let value = reader.timeOfDay(field) { policy.windowStart = value }
        if let field = keys["window_end"], let value = reader.timeOfDay(field) { policy.windowEnd = value }
        if let field = keys["every_hours"], let value = reader.int(field, in: 1...168) { policy.everyHours = value }
        if let field = keys["daily_byte_budget"], let value = reader.int(field, in: 0...Int.max) {
            policy.dailyByteBudget = Int64(value)
        }
        return policy
    }

    /// "host", "host:port" or "[v6-address]:port".
    mutating func serverAddress(_ field: Field) -> String? {
        guard let text = reader.nonEmptyString(field) else { return nil }
        var host = Substring(text)
        var port: Substring?
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty { port = rest.hasPrefix(":") ? rest.dropFirst() : rest }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        }
        let portOK = port.map { Int($0).map { (1...65535).contains($0) } ?? false } ?? true
        guard !host.isEmpty, !text.contains(where: \.isWhitespace), portOK else {
            reader.report(.badValue, "bad server \"\(text)\": expected host or host:port (port 1…65535)", at: field)
            return nil
        }
        return text
    }

    /// Decodes each item of a list, keeping only those that decode.
    mutating func list<T>(_ field: Field, _ decode: (inout DocumentDecoder, Field) -> T?) -> [T]? {
        guard let items = reader.list(field) else { return nil }
        return items.compactMap { decode(&self, $0) }
    }
}

/// Days of a weekly maintenance window as written in the inventory.
enum Weekday: String, CaseIterable {
    case mon, tue, wed, thu, fri, sat, sun

    var isoNumber: Int { Self.allCases.firstIndex(of: self)! + 1 }
}
