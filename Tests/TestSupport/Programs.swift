import Foundation

/// The package root, found from this file's path (Tests/TestSupport/Programs.swift).
public let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// What one of our programs printed and its exit status.
public struct ProgramRun: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// Runs one of this package's executables (`sansang-agent`, …), built by `swift test` next to the
/// test bundle, in the package root.
public func runProgram(_ name: String, _ arguments: [String]) throws -> ProgramRun {
    let directory = try unwrap(Bundle.main.executableURL?.deletingLastPathComponent(), "the test bundle has no path")
    let program = directory.appendingPathComponent(name)
    guard FileManager.default.isExecutableFile(atPath: program.path) else {
        throw MissingTool(name: "\(program.path) (build the package first)")
    }
    let process = Process()
    process.executableURL = program
    process.arguments = arguments
    process.currentDirectoryURL = packageRoot
    let errFile = FileManager.default.temporaryDirectory.appendingPathComponent("sansang-run-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: errFile) }
    let out = Pipe()
    process.standardOutput = out
    process.standardError = try FileHandle(forWritingTo: errFile)
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let stderr = (try? String(contentsOf: errFile, encoding: .utf8)) ?? ""
    return ProgramRun(status: process.terminationStatus, stdout: stdout, stderr: stderr)
}

struct Unwrapped: Error, CustomStringConvertible {
    let description: String
}

func unwrap<T>(_ value: T?, _ what: String) throws -> T {
    guard let value else { throw Unwrapped(description: what) }
    return value
}
