import YAMLConfig
import ArgumentParser
import CommandLineSupport
import Foundation
import Inventory
import Presentation

struct InventoryCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate inventory files and summarise the sites they define.",
        discussion: """
            Reads each file given, and every *.yaml / *.yml file of each directory given (in name order), \
            checks them together (unique site codes, known profiles, valid targets) and prints the number of \
            units and offices per type, per former district and per profile.

            Exit status: 0 when valid; 2 when not, with every problem on standard error as
            file:line:column: field: message

            Examples:
              sansang-collector inventory check inventory/
              sansang-collector inventory check inventory/ --lang en
              sansang-collector inventory check inventory/danang.yaml \\
                inventory/profiles.yaml
              sansang-collector inventory check inventory/ --json
            """
    )

    @Argument(help: "Inventory files or directories.")
    var paths: [String]

    @Flag(help: "Print the summary (or the errors) as JSON.")
    var json = false

    @Option(help: "Language of the summary table: vi or en.")
    var lang: Language = .vi

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("Give at least one inventory file or directory.") }
    }

    func run() throws {
        let result: CheckResult
        do {
            let inventory = try InventoryLoader.load(paths: paths)
            result = CheckResult(valid: true, summary: InventorySummary(inventory), errors: [])
        } catch {
            error.errors.forEach { printError($0.description) }
            result = CheckResult(valid: false, summary: nil, errors: error.errors)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else if let summary = result.summary {
            print(SummaryText(summary: summary, language: lang).render(), terminator: "")
        } else {
            printError(lang == .vi ? "Danh mục không hợp lệ: \(result.errors.count) lỗi."
                                   : "Inventory invalid: \(result.errors.count) error(s).")
        }
        if !result.valid { throw ExitCode(2) }
    }
}

/// The `--json` output of `inventory check`.
struct CheckResult: Encodable {
    var valid: Bool
    var summary: InventorySummary?
    var errors: [InventoryError]
}
