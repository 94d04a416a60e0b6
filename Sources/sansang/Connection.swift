import ArgumentParser
import CommandLineSupport
import Foundation
import NOCClient
import ReadinessModel
import Presentation
import YAMLConfig
import Yams

/// Options every `sansang` command shares: where the collector is, the token, the language.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "Collector base URL, e.g. http://127.0.0.1:8470 (or SANSANG_SERVER, or cli.yaml `server`).")
    var server: String?

    @Option(name: .customLong("token-file"), help: "File (not readable by every user) holding the NOC token (or SANSANG_TOKEN, or cli.yaml `token_file`).")
    var tokenFile: String?

    @Option(name: .customLong("token"), help: .hidden)
    var tokenValue: String?

    @Option(help: "Client configuration file.")
    var config: String = CLIConfigFile.defaultPath

    @Option(help: "Language of tables: vi or en.")
    var lang: Language = .vi

    /// Flags win over the environment, the environment over the file.
    func client() throws -> NOCClient {
        let environment = ProcessInfo.processInfo.environment
        let file = try CLIConfigFile.load(config, required: config != CLIConfigFile.defaultPath)
        guard let server = server ?? environment["SANSANG_SERVER"] ?? file.server else {
            throw ConfigurationError("no collector given: use --server URL, SANSANG_SERVER or `server:` in \(config)")
        }
        guard tokenValue == nil else {
            throw ConfigurationError("--token would show the token to every user of this machine (/proc/PID/cmdline): "
                                     + "put it in a file readable only by you and give --token-file FILE, or set SANSANG_TOKEN")
        }
        var flagToken: String?
        if let tokenFile {
            do {
                flagToken = try SecretFile.read(tokenFile)
            } catch {
                throw ConfigurationError("--token-file: \(error)")
            }
        }
        guard let token = flagToken ?? environment["SANSANG_TOKEN"] ?? file.token else {
            throw ConfigurationError("no NOC token given: use --token-file FILE, SANSANG_TOKEN or `token_file:` in \(config)")
        }
        return NOCClient(configuration: NOCClientConfiguration(server: server, token: token))
    }
}

/// `~/.config/sansang/cli.yaml`: `server`, and `token` or `token_file`.
struct CLIConfigFile {
    static var defaultPath: String {
        let base = ProcessInfo.processInfo.environment["XDG_CONFIG_HOME"]
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".config")
        return (base as NSString).appendingPathComponent("sansang/cli.yaml")
    }

    var server: String?
    var token: String?

    /// Reads the file; a missing default file is no error, a missing named one is.
    static func load(_ path: String, required: Bool) throws -> CLIConfigFile {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            if required { throw ConfigurationError("\(path): cannot read the file") }
            return CLIConfigFile()
        }
        let root: Node?
        switch composeYAML(text, file: path) {
        case .success(let node): root = node
        case .failure(let error): throw ConfigurationError(error.description)
        }
        guard let root else { return CLIConfigFile() }
        var reader = NodeReader(file: path)
        var result = CLIConfigFile()
        if let fields = reader.mapping(Field(node: root, path: ""), allowed: ["server", "token", "token_file"]) {
            result.server = fields["server"].flatMap { reader.nonEmptyString($0) }
            result.token = reader.secret(fields, "token")?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if !reader.errors.isEmpty {
            throw ConfigurationError(reader.errors.map(\.description).joined(separator: "\n"))
        }
        do {
            try NodeReader.checkPrivate(path, inlineSecrets: reader.inlineSecrets)
        } catch {
            throw ConfigurationError(error.description)
        }
        return result
    }
}

/// Output format flags shared by the table commands.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON (the API's body).")
    var json = false

    @Flag(help: "Print CSV.")
    var csv = false

    func validate() throws {
        if json && csv { throw ValidationError("choose one of --json and --csv") }
    }
}

/// Runs a client call; API errors that mean bad credentials are configuration errors (exit 2),
/// everything else that went wrong is a failure (exit 1).
func request<T>(_ call: () async throws(NOCClientError) -> T) async throws -> T {
    do {
        return try await call()
    } catch {
        if error.status == 401 || error.status == 403 { throw ConfigurationError("collector refused the token: \(error.message)") }
        printError(error.message)
        throw ExitCode.failure
    }
}

func printJSON(_ value: some Encodable) throws {
    print(String(decoding: try ReportCoding.encoder(pretty: true).encode(value), as: UTF8.self))
}
