import ArgumentParser
import CommandLineSupport

@main
struct SansangCollector: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sansang-collector",
        abstract: "The sansang collector: inventory of sites and check profiles.",
        subcommands: [InventoryCommand.self]
    )

    static func main() async { await CommandLineMain.run(Self.self) }
}
