import ArgumentParser
import CommandLineSupport
import ReadinessModel

@main
struct Sansang: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sansang",
        abstract: "The NOC's command line client of the sansang collector.",
        discussion: """
            The server and a NOC token come from --server/--token, the environment (SANSANG_SERVER, \
            SANSANG_TOKEN) or ~/.config/sansang/cli.yaml, in that order.

            Examples:
              sansang status --group-by former_district
              sansang sites --verdict not_ready --csv > chua-san-sang.csv
              sansang site 20242
              sansang alerts --state firing
              sansang silence add --site 20242 --duration 4h --comment "Thay switch"
              sansang report weekly --format html --out bao-cao.html
            """,
        version: SansangVersion.current,
        subcommands: [Status.self, Sites.self, SiteCommand.self, AlertsList.self, SilenceCommand.self, ReportCommand.self])

    static func main() async { await CommandLineMain.run(Self.self) }
}
