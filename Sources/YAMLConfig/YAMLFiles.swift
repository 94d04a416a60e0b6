import Foundation

/// Reads YAML configuration files for the decoders, which stay pure (they take text and a file name).
public enum YAMLFiles {
    /// The text of `path`, or of every `*.yaml` and `*.yml` file of the directory `path` (not subdirectories)
    /// in name order; a missing path or an unreadable file is a `ConfigError` naming it (all of them at once).
    public static func read(path: String) throws(ConfigErrors) -> [(text: String, file: String)] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigErrors([ConfigError(.unreadableFile, "no such file or directory", at: .start(of: path), field: "")])
        }
        var files = [path]
        if isDirectory.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            files = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
                .map { URL(fileURLWithPath: path).appendingPathComponent($0).path }
        }
        var documents: [(text: String, file: String)] = []
        var errors: [ConfigError] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                errors.append(ConfigError(.unreadableFile, "cannot read the file", at: .start(of: file), field: ""))
                continue
            }
            documents.append((String(decoding: data, as: UTF8.self), file))
        }
        guard errors.isEmpty else { throw ConfigErrors(errors) }
        return documents
    }
}
