import YAMLConfig
import Foundation
import ReadinessModel

/// The text of one inventory file and the name to use for it in error messages.
public struct InventorySource: Sendable, Hashable {
    public var file: String
    public var text: String

    public init(file: String, text: String) {
        self.file = file
        self.text = text
    }
}

public enum InventoryLoader {
    /// Reads inventory files and checks them together. A path may be a file or a directory, whose
    /// `*.yaml` and `*.yml` files (not subdirectories) are read in name order.
    public static func load(paths: [String]) throws(InventoryErrors) -> Inventory {
        var sources: [InventorySource] = []
        var errors: [InventoryError] = []
        for path in paths {
            do {
                for file in try files(at: path) {
                    let data = try Data(contentsOf: URL(fileURLWithPath: file))
                    guard let text = String(data: data, encoding: .utf8) else {
                        throw InventoryError(.unreadableFile, "not UTF-8 text", at: .start(of: file), field: "")
                    }
                    sources.append(InventorySource(file: file, text: text))
                }
            } catch let error as InventoryError {
                errors.append(error)
            } catch {
                errors.append(InventoryError(.unreadableFile, "cannot read: \(error.localizedDescription)",
                                             at: .start(of: path), field: ""))
            }
        }
        do {
            let inventory = try decode(sources)
            if errors.isEmpty { return inventory }
        } catch {
            errors += error.errors
        }
        throw InventoryErrors(errors)
    }

    /// Decodes and cross-checks inventory texts; pure, for tests and for callers that read files themselves.
    public static func decode(_ sources: [InventorySource]) throws(InventoryErrors) -> Inventory {
        let documents = sources.map { decodeDocument(yaml: $0.text, file: $0.file) }
        var errors = documents.flatMap(\.errors)

        var profiles: [String: ProfileEntry] = [:]
        for entry in documents.flatMap(\.profiles) {
            if let first = profiles[entry.profile.name] {
                errors.append(InventoryError(.duplicateProfileName,
                                             "duplicate profile \"\(entry.profile.name)\" (first defined at \(first.location))",
                                             at: entry.location, field: entry.field))
            } else {
                profiles[entry.profile.name] = entry
            }
        }

        var firstByCode: [String: SiteEntry] = [:]
        var reported: Set<SourceLocation> = []
        for entry in documents.flatMap(\.sites) {
            if let code = entry.code {
                if let first = firstByCode[code] {
                    errors.append(InventoryError(.duplicateSiteCode,
                                                 "duplicate site code \"\(code)\" (first defined at \(first.codeLocation))",
                                                 at: entry.codeLocation, field: "\(entry.field).code"))
                } else {
                    firstByCode[code] = entry
                }
            }
            let ref = entry.profile
            guard !ref.name.isEmpty else { continue }
            guard let profileEntry = profiles[ref.name] else {
                // A file-level default is reported once, not once per site that uses it.
                if reported.insert(ref.location).inserted {
                    errors.append(InventoryError(.unknownProfile, "unknown profile \"\(ref.name)\""
                                                 + suggestion(for: ref.name, among: profiles.keys.sorted()),
                                                 at: ref.location, field: ref.field))
                }
                continue
            }
            guard profileEntry.complete else { continue }
            let profile = profileEntry.profile
            let names = profile.services.map(\.name)
            for skipped in entry.skippedServices where !names.contains(skipped.name) {
                errors.append(InventoryError(.unknownService, "profile \"\(profile.name)\" has no service \"\(skipped.name)\""
                                             + suggestion(for: skipped.name, among: names),
                                             at: skipped.location, field: skipped.field))
            }
        }

        guard errors.isEmpty else {
            let fileOrder = Dictionary(sources.enumerated().map { ($1.file, $0) }, uniquingKeysWith: { first, _ in first })
            throw InventoryErrors(errors.sorted {
                (fileOrder[$0.location.file] ?? 0, $0.location.line, $0.location.column)
                    < (fileOrder[$1.location.file] ?? 0, $1.location.line, $1.location.column)
            })
        }
        return Inventory(sites: documents.flatMap(\.sites).compactMap(\.site),
                         profiles: profiles.mapValues(\.profile))
    }

    private static func files(at path: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw InventoryError(.unreadableFile, "no such file or directory", at: .start(of: path), field: "")
        }
        guard isDirectory.boolValue else { return [path] }
        let base = path.hasSuffix("/") ? String(path.dropLast()) : path
        return try FileManager.default.contentsOfDirectory(atPath: path)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
            .sorted()
            .map { "\(base)/\($0)" }
    }
}
