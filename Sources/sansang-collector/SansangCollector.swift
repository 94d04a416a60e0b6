import ArgumentParser
import Foundation

@main
struct SansangCollector: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sansang-collector",
        abstract: "The sansang collector: inventory of sites and check profiles.",
        subcommands: [InventoryCommand.self]
    )

    /// Usage errors exit 2, as every sansang command does (ArgumentParser's own default is 64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            guard code == .validationFailure else { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            exit(withError: ExitCode(2))
        }
    }
}

struct InventoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory",
        abstract: "Check inventory files, or make one from a spreadsheet.",
        subcommands: [InventoryCheck.self, InventoryImport.self]
    )
}

/// Writes to standard error, for messages that must not mix with machine-readable output.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
