import Foundation
import ReadinessModel
import YAMLConfig
import ArgumentParser
import CommandLineSupport

@main
struct SansangCollector: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sansang-collector",
        abstract: "The sansang collector: reports from agents, verdicts, API; inventory of sites and check profiles.",
        version: SansangVersion.current,
        subcommands: [Serve.self, Migrate.self, TokenCommand.self, UserCommand.self, EnrollCommand.self, TLSCommand.self, InventoryCommand.self, AlertsCommand.self, ReportCommand.self]
    )

    static func main() async {
        // Whatever a command creates (the database and its WAL by `migrate`, `token issue` or `serve`, keys, the
        // outbox) is for this user only, whatever umask it inherits (docs/reliability.md).
        umask(0o077)
        await CommandLineMain.run(Self.self)
    }
}

struct InventoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory",
        abstract: "Check inventory files, or make one from a spreadsheet.",
        subcommands: [InventoryCheck.self, InventoryImport.self]
    )
}
