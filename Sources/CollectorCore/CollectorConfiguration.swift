import Foundation
import YAMLConfig

/// `collector.yaml` (docs/collector.md). Every field has a default, so an empty file is a valid config.
public struct CollectorConfiguration: Sendable, Hashable {
    public struct Listen: Sendable, Hashable {
        public var host = "127.0.0.1"
        public var port = 8470
        public init() {}
    }

    /// Both files, or neither (then plain HTTP, e.g. behind a TLS-terminating proxy).
    public struct TLS: Sendable, Hashable {
        public var certFile: String
        public var keyFile: String
        public init(certFile: String, keyFile: String) {
            self.certFile = certFile
            self.keyFile = keyFile
        }
    }

    public var listen = Listen()
    public var tls: TLS?
    public var sqlitePath = "/var/lib/sansang/collector.sqlite"
    public var inventory = ["/etc/sansang/inventory"]
    /// The report interval agents are told in their plan.
    public var reportIntervalSeconds = 60
    /// How often every site is re-evaluated, so that silence becomes STALE.
    public var evaluationIntervalSeconds = 15
    public var retentionDays = 90
    public var maxBodyBytes = 4 * 1024 * 1024

    public init() {}

    public static let defaultPath = "/etc/sansang/collector.yaml"

    /// Reads and validates a config file; relative inventory and database paths are taken relative to
    /// the file's directory. Every problem is reported with file:line:column and its field.
    public static func load(file: String) throws(ConfigErrors) -> CollectorConfiguration {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ConfigErrors([ConfigError(.unreadableFile, "cannot read the file", at: .start(of: file), field: "")])
        }
        var configuration = try parse(yaml: String(decoding: data, as: UTF8.self), file: file)
        let base = URL(fileURLWithPath: file).deletingLastPathComponent()
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") ? path : base.appendingPathComponent(path).standardizedFileURL.path
        }
        configuration.inventory = configuration.inventory.map(resolve)
        configuration.sqlitePath = resolve(configuration.sqlitePath)
        configuration.tls = configuration.tls.map { TLS(certFile: resolve($0.certFile), keyFile: resolve($0.keyFile)) }
        return configuration
    }

    /// Parses config text. Pure: no file system access, paths as written.
    public static func parse(yaml: String, file: String) throws(ConfigErrors) -> CollectorConfiguration {
        var configuration = CollectorConfiguration()
        var reader = NodeReader(file: file)
        let top: Field
        switch composeYAML(yaml, file: file) {
        case .success(let node?): top = Field(node: node, path: "")
        case .success(nil): return configuration
        case .failure(let error): throw ConfigErrors([error])
        }
        let keys = ["listen", "tls", "database", "inventory", "report_interval_s", "evaluation_interval_s",
                    "retention_days", "max_body_bytes"]
        if let entries = reader.mapping(top, allowed: keys) {
            if let field = entries["listen"], let listen = reader.mapping(field, allowed: ["host", "port"]) {
                if let host = listen["host"].flatMap({ reader.nonEmptyString($0) }) { configuration.listen.host = host }
                if let port = listen["port"].flatMap({ reader.int($0, in: 1...65535) }) { configuration.listen.port = port }
            }
            if let field = entries["tls"],
               let tls = reader.mapping(field, allowed: ["cert_file", "key_file"], required: ["cert_file", "key_file"]),
               let cert = tls["cert_file"].flatMap({ reader.nonEmptyString($0) }),
               let key = tls["key_file"].flatMap({ reader.nonEmptyString($0) }) {
                configuration.tls = TLS(certFile: cert, keyFile: key)
            }
            if let field = entries["database"], let database = reader.mapping(field, allowed: ["sqlite_path"]),
               let path = database["sqlite_path"].flatMap({ reader.nonEmptyString($0) }) {
                configuration.sqlitePath = path
            }
            if let field = entries["inventory"], let items = reader.list(field) {
                let paths = items.compactMap { reader.nonEmptyString($0) }
                if items.isEmpty {
                    reader.report(.badValue, "needs at least one inventory file or directory", at: field)
                } else if paths.count == items.count {
                    configuration.inventory = paths
                }
            }
            if let value = entries["report_interval_s"].flatMap({ reader.int($0, in: 1...86400) }) {
                configuration.reportIntervalSeconds = value
            }
            if let value = entries["evaluation_interval_s"].flatMap({ reader.int($0, in: 1...3600) }) {
                configuration.evaluationIntervalSeconds = value
            }
            if let value = entries["retention_days"].flatMap({ reader.int($0, in: 1...36500) }) {
                configuration.retentionDays = value
            }
            if let value = entries["max_body_bytes"].flatMap({ reader.int($0, in: 1024...(1 << 30)) }) {
                configuration.maxBodyBytes = value
            }
        }
        guard reader.errors.isEmpty else { throw ConfigErrors(reader.errors) }
        return configuration
    }
}
