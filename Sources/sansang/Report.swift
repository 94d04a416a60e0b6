import ArgumentParser
import CommandLineSupport
import Foundation
import NOCClient
import Presentation

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Reports of the collector.",
        subcommands: [ReportWeekly.self])
}

struct ReportWeekly: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weekly",
        abstract: "The weekly readiness summary, as the collector renders it.",
        discussion: """
            Without --week: the last complete week. Formats: text (default), html (one page, the chart inside), \
            csv (the site table), json (the figures). --out writes to a file instead of standard output.

            Examples:
              sansang report weekly
              sansang report weekly --week 2026-W48 --format html --out bao-cao-W48.html
              sansang report weekly --format csv --lang en > sites.csv
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "An ISO week, e.g. 2026-W48.")
    var week: String?

    @Option(help: "text, html, csv or json.")
    var format: String = "text"

    @Option(help: "Write to this file.")
    var out: String?

    func validate() throws {
        guard ["text", "html", "csv", "json"].contains(format) else { throw ValidationError("--format is text, html, csv or json") }
    }

    func run() async throws {
        let client = try connection.client()
        let language = connection.lang.rawValue
        let data = try await request { () async throws(NOCClientError) in
            try await client.weeklyReport(week: week, format: format, language: language)
        }
        if let out {
            try data.write(to: URL(fileURLWithPath: out), options: .atomic)
        } else {
            FileHandle.standardOutput.write(data)
        }
    }
}
