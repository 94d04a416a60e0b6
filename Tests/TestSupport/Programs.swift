import Foundation

/// The package root, found from this file's path (Tests/TestSupport/Programs.swift).
public let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// Runs one of this package's executables (`sansang-agent`, …), built by `swift test` next to the
/// test bundle, in the package root.
public func runProgram(_ name: String, _ arguments: [String], environment: [String: String]? = nil) async throws -> ProgramRun {
    try await runCapturing([try builtProgram(name)] + arguments, environment: environment, directory: packageRoot)
}

/// Runs one of this package's executables inside a network namespace (`ip netns exec`), in the package root.
public func runProgram(_ name: String, _ arguments: [String], in namespace: NetworkNamespace) async throws -> ProgramRun {
    try await runCapturing(namespace.command([try builtProgram(name)] + arguments), directory: packageRoot)
}

/// The absolute path of one of this package's built executables, for tests that start it as a daemon.
public func builtProgram(_ name: String) throws -> String {
    guard let directory = Bundle.main.executableURL?.deletingLastPathComponent() else {
        throw MissingTool(name: "\(name) (the test bundle has no path)")
    }
    let program = directory.appendingPathComponent(name)
    guard FileManager.default.isExecutableFile(atPath: program.path) else {
        throw MissingTool(name: "\(program.path) (build the package first)")
    }
    return program.path
}
