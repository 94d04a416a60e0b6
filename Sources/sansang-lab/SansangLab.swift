import ArgumentParser
import CommandLineSupport
import Foundation
import Inventory
import Presentation
import LabModel
import ReadinessModel
import YAMLConfig

/// `sansang-lab`: the province lab's file, checked and turned into what scripts/lab.sh builds (docs/lab.md).
/// It reads and writes files only; the namespaces, links and daemons are the script's.
@main
struct SansangLab: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sansang-lab",
        abstract: "The province lab: check a lab file, write its plan, compare the collector's verdicts with it.",
        discussion: """
            Examples:
              sansang-lab validate lab/danang.yaml
              sansang-lab plan lab/danang.yaml --out .run/lab/plan
              sansang sites --json --limit 10000 > sites.json && sansang-lab check lab/danang.yaml --sites sites.json
            `make run` does all of this (docs/lab.md).
            """,
        subcommands: [Validate.self, Plan.self, Check.self])

    static func main() async { await CommandLineMain.run(SansangLab.self) }
}

struct LabFileOption: ParsableArguments {
    @Argument(help: "The lab file (e.g. lab/danang.yaml).")
    var file: String

    /// The lab file, its inventory and the plan; configuration errors as file:line:column: field: message.
    func load() throws -> (lab: LabFile, inventory: Inventory, inventoryPath: String, plan: LabPlan) {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw ConfigurationError("\(file): cannot read the lab file: \(error.localizedDescription)")
        }
        let lab: LabFile
        do { lab = try LabFileParser.parse(text, file: file) } catch { throw ConfigurationError(error.description) }
        let directory = URL(fileURLWithPath: file).deletingLastPathComponent()
        let inventoryPath = lab.inventory.hasPrefix("/") ? lab.inventory
            : directory.appendingPathComponent(lab.inventory).standardizedFileURL.path
        let inventory: Inventory
        do { inventory = try InventoryLoader.load(paths: [inventoryPath]) } catch {
            throw ConfigurationError("the lab's inventory (\(inventoryPath)):\n\(error)")
        }
        guard let site = inventory.offices.first, let profile = inventory.profile(named: site.profile) else {
            throw ConfigurationError("\(inventoryPath): no office with a profile: nothing to build a lab of")
        }
        do {
            return (lab, inventory, inventoryPath, try LabPlan.make(lab, sites: inventory.sites, profile: profile, file: file))
        } catch {
            throw ConfigurationError(error.description)
        }
    }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check a lab file against its inventory; exit 2 naming file:line:field.")
    @OptionGroup var options: LabFileOption

    func run() throws {
        let (lab, _, inventoryPath, plan) = try options.load()
        print("\(options.file): \(plan.offices.count) offices of \(inventoryPath), \(lab.faults.count) faults")
    }
}

struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the lab's plan (plan.tsv) and its inventory (inventory/) into a directory.")
    @OptionGroup var options: LabFileOption
    @Option(help: "The directory to write (created).")
    var out: String

    func run() throws {
        let (_, _, inventoryPath, plan) = try options.load()
        let manager = FileManager.default
        let inventoryOut = URL(fileURLWithPath: out).appendingPathComponent("inventory")
        try manager.createDirectory(at: inventoryOut, withIntermediateDirectories: true)
        var isDirectory: ObjCBool = false
        let files = manager.fileExists(atPath: inventoryPath, isDirectory: &isDirectory) && isDirectory.boolValue
            ? try manager.contentsOfDirectory(atPath: inventoryPath).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
                .map { "\(inventoryPath)/\($0)" }
            : [inventoryPath]
        for source in files {
            let text = try String(contentsOfFile: source, encoding: .utf8)
            let rewritten: String
            do { rewritten = try LabInventory.rewrite(text, file: source, plan: plan) } catch { throw ConfigurationError(error.description) }
            try rewritten.write(to: inventoryOut.appendingPathComponent(URL(fileURLWithPath: source).lastPathComponent),
                                atomically: true, encoding: .utf8)
        }
        try plan.tsv().write(toFile: "\(out)/plan.tsv", atomically: true, encoding: .utf8)
        print("\(out): \(plan.offices.count) offices, \(plan.offices.filter { $0.fault != nil }.count) with faults")
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare the collector's verdicts (`sansang sites --json`) with the lab file; exit 1 on any difference.",
        discussion: "Prints the faulty sites with their reasons, then every site whose verdict or reasons differ from the lab file.")
    @OptionGroup var options: LabFileOption
    @Option(help: "The output of `sansang sites --json --limit 10000`.")
    var sites: String
    @Option(help: "vi (default) or en.")
    var lang: Language = .vi
    @Flag(help: "Print only the result line.")
    var quiet = false

    func run() throws {
        let (lab, _, _, plan) = try options.load()
        let observations = try Self.observations(sites)
        let check = LabCheck(plan: plan, observations: observations)
        let vi = lang == .vi
        if !quiet {
            let byCode = Dictionary(observations.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
            print(vi ? "Trạm có lỗi khai báo trong \(options.file):" : "Sites with faults declared in \(options.file):")
            for fault in lab.faults {
                let seen = byCode[fault.site]
                let mark = check.mismatches.contains { $0.code == fault.site } ? "✗" : "✓"
                let state = seen?.state.map { vi ? $0.vietnameseName : $0.rawValue } ?? "—"
                print("  \(mark) \(fault.site) \(seen?.name ?? "") [\(fault.kinds.joined(separator: ", "))]: \(state)"
                      + " — \((seen?.reasons ?? []).sorted().joined(separator: ", "))")
            }
        }
        let lines = check.lines()
        if check.passed {
            print(vi ? "Lab khớp với \(options.file): \(check.checked)/\(check.checked) trạm đúng như khai báo."
                     : "The lab matches \(options.file): \(check.checked)/\(check.checked) sites as declared.")
        } else {
            print(vi ? "Lab chưa khớp với \(options.file): \(lines.count)/\(check.checked) trạm khác khai báo:"
                     : "The lab does not match \(options.file) yet: \(lines.count)/\(check.checked) sites differ:")
            for line in lines { print("  \(line)") }
            throw ExitCode(1)
        }
    }

    static func observations(_ path: String) throws -> [LabObservation] {
        guard let data = FileManager.default.contents(atPath: path),
              let object = try? JSONSerialization.jsonObject(with: data) else {
            throw ConfigurationError("\(path): not the JSON of `sansang sites --json`")
        }
        let items = (object as? [String: Any])?["items"] as? [[String: Any]] ?? object as? [[String: Any]] ?? []
        return items.compactMap { item in
            guard let code = item["code"] as? String else { return nil }
            return LabObservation(code: code, name: item["name"] as? String ?? "", formerDistrict: item["former_district"] as? String ?? "",
                                  state: (item["state"] as? String).flatMap(VerdictState.init(rawValue:)),
                                  reasons: item["reasons"] as? [String] ?? [])
        }
    }
}
