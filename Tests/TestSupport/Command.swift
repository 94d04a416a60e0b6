import Foundation

/// A failure of a helper command run by a test, with what it printed.
public struct CommandFailure: Error, CustomStringConvertible {
    public let argv: [String]
    public let status: Int32
    public let output: String

    public init(argv: [String], status: Int32, output: String) {
        self.argv = argv
        self.status = status
        self.output = output
    }

    public var description: String { "\(argv.joined(separator: " ")) exited \(status): \(output)" }
}

/// What a program printed and its exit status.
public struct ProgramRun: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// Runs a command to completion and returns its standard output; throws with stderr when it fails.
@discardableResult
public func run(_ argv: [String], environment: [String: String]? = nil) async throws -> String {
    let result = try await runCapturing(argv, environment: environment)
    guard result.status == 0 else {
        throw CommandFailure(argv: argv, status: result.status, output: result.stdout + result.stderr)
    }
    return result.stdout
}

/// Runs a command to completion and returns its status and both streams, whatever the status.
public func runCapturing(_ argv: [String], environment: [String: String]? = nil, directory: URL? = nil) async throws -> ProgramRun {
    // Both streams go to files, so that neither can fill a pipe, and nothing blocks while the command runs.
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("sansang-cmd-\(UUID().uuidString)")
    let out = base.appendingPathExtension("out"), err = base.appendingPathExtension("err")
    defer {
        try? FileManager.default.removeItem(at: out)
        try? FileManager.default.removeItem(at: err)
    }
    let child = try ChildProcess(argv, stdout: out, stderr: err, environment: environment ?? [:], directory: directory)
    let status = await child.waitForExit()
    let stdout = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
    let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
    return ProgramRun(status: status, stdout: stdout, stderr: stderr)
}

/// The absolute path of a program, looked up in PATH and the sbin directories (daemons live there).
public func resolveExecutable(_ name: String) throws -> String {
    if name.hasPrefix("/") { return name }
    let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/sbin:/sbin:/usr/local/sbin"
    for dir in path.split(separator: ":") {
        let candidate = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw MissingTool(name: name)
}

/// A program a test needs is not installed. Tests fail on it rather than skip: `make test` installs them.
public struct MissingTool: Error, CustomStringConvertible {
    public let name: String
    public var description: String { "\(name) is not installed; run `make deps` (apt-get) first" }
}
