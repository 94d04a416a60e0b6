import Foundation
import PackagePlugin

/// Generates `SansangVersion.swift` from the package's `VERSION` file, the one place the version is written
/// (docs/packaging.md): the programs' `--version`, the agents' reports and the Debian packages all read it from there.
@main
struct VersionFile: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let version = context.package.directoryURL.appendingPathComponent("VERSION")
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("SansangVersion.swift")
        // A version is digits, letters and . + ~ - only (what dpkg accepts); anything else fails the build.
        let script = """
            v=$(tr -d ' \\t\\r\\n' < "$1") || exit 1
            case "$v" in ''|*[!0-9A-Za-z.+~-]*) echo "$1: not a version: '$v'" >&2; exit 1;; esac
            printf '%s\\n' '/// The version of this build (generated from VERSION), reported by agents and shown by `--version`.' \\
              'public enum SansangVersion {' "    public static let current = \\"$v\\"" '}' > "$2"
            """
        return [.buildCommand(
            displayName: "Generating SansangVersion.swift from VERSION",
            executable: URL(fileURLWithPath: "/bin/sh"),
            arguments: ["-c", script, "sh", version.path, output.path],
            inputFiles: [version],
            outputFiles: [output])]
    }
}
