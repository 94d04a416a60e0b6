import ArgumentParser
import Foundation
import Presentation

/// The exit-code contract of every sansang command (docs/cli.md, docs/agent.md): 0 success, 1 not ready or failed,
/// 2 usage or configuration error. ArgumentParser's own usage failures (64) are mapped to 2.
public enum CommandLineMain {
    public static func run<Root: ParsableCommand>(_ root: Root.Type, arguments: [String]? = nil) async -> Never {
        do {
            var command = try Root.parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit(0)
        } catch let error as ConfigurationError {
            printError(error.message)
            exit(2)
        } catch {
            let code = Root.exitCode(for: error)
            let message = Root.fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                exit(0)
            }
            if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}

/// A configuration or input error the user must fix: printed without a stack, exit code 2.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension Language: ExpressibleByArgument {}

/// One line to standard error (errors and diagnostics never mix with `--json` output on stdout).
public func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
