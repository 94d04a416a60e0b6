#!/usr/bin/env python3
"""Checks the module graph of Package.swift: pure modules link no C library; every import is declared.

Reads `swift package describe --type json` (run it, or pass a saved copy as the first argument) and follows
every pure module's target dependencies, direct and transitive. A pure module must not reach a system-library
target (CPcap, CNetSNMP, CCurl, CCairo, CZlib, …): the path to the first one found is printed, e.g.

    Alerting -> SNMPReporting -> SNMP -> CNetSNMP: pure module Alerting links a C system library

Products of other packages are not followed (describe lists only this package's targets); a pure module may use
only the products in ALLOWED_PRODUCTS, which are compiled from source and link no system library.

It also reads every target's sources and fails on an `import` of a module the target does not declare as a
dependency (a target of this package or a product of another), e.g.

    Sources/sansang/Connection.swift:8: sansang imports Yams without declaring it (add it to its dependencies)

SwiftPM's `--explicit-target-dependency-import-check error` checks only imports of this package's own targets;
this check covers products of other packages too. Modules of the toolchain (Foundation, Glibc, Testing, …) need
no declaration.

Usage: scripts/check-graph.py [describe.json]      (exit 0: clean, 1: a violation, 2: cannot read the graph)
"""
import json
import os
import re
import subprocess
import sys

PURE = ["ReadinessModel", "Alerting", "SansangAPI", "Presentation", "WeeklyReport", "LLDP", "SNMPTypes",
        "ReadinessMIB", "LabModel"]
# Products of other packages that pure modules may use: Swift (and for Yams, libyaml compiled from source).
ALLOWED_PRODUCTS = {"Yams", "Mustache"}


# Modules that come with the toolchain.
TOOLCHAIN = {"PackagePlugin", "Foundation", "FoundationEssentials", "FoundationInternationalization", "FoundationNetworking", "Glibc",
             "Musl", "Darwin", "Dispatch", "Synchronization", "Testing", "XCTest", "_Concurrency", "Observation",
             "RegexBuilder", "_StringProcessing", "Swift"}
IMPORT = re.compile(r"^\s*(?:@\w+\s+)*import\s+(?:(?:struct|class|enum|protocol|typealias|func|let|var)\s+)?(\w+)")


def undeclared_imports(targets, root):
    """(file:line, target, module) for each import of a module the target does not declare."""
    found = []
    for name, target in sorted(targets.items()):
        declared = set(target.get("target_dependencies", [])) | set(target.get("product_dependencies", [])) | {name}
        for source in target.get("sources", []):
            if not source.endswith(".swift"):
                continue
            path = os.path.join(target["path"], source)
            try:
                with open(os.path.join(root, path), encoding="utf-8") as f:
                    lines = f.readlines()
            except OSError:
                continue
            in_string = False  # inside a multi-line string literal (a test's Python script, say): not Swift
            for number, line in enumerate(lines, 1):
                match = None if in_string else IMPORT.match(line)
                if line.count('"""') % 2 == 1:
                    in_string = not in_string
                if match and match.group(1) not in declared and match.group(1) not in TOOLCHAIN:
                    found.append((f"{path}:{number}", name, match.group(1)))
    return found


def load(argv):
    if len(argv) > 1:
        with open(argv[1]) as f:
            return json.load(f)
    out = subprocess.run(["swift", "package", "describe", "--type", "json"], check=True, capture_output=True, text=True)
    # Some toolchains print resolution lines before the JSON.
    return json.loads(out.stdout[out.stdout.index("{"):])


def main(argv):
    try:
        package = load(argv)
    except (OSError, ValueError, subprocess.CalledProcessError) as error:
        print(f"check-graph: cannot read the package graph: {error}", file=sys.stderr)
        return 2
    targets = {t["name"]: t for t in package["targets"]}
    system = {name for name, t in targets.items()
              if t.get("type") == "system-target" or t.get("module_type") == "SystemLibraryTarget"}
    problems = []
    for pure in PURE:
        if pure not in targets:
            problems.append(f"{pure}: listed as pure in scripts/check-graph.py but not a target of the package")
            continue
        # Breadth first, so that the path printed is a shortest one.
        paths = {pure: [pure]}
        queue = [pure]
        while queue:
            name = queue.pop(0)
            target = targets[name]
            for product in target.get("product_dependencies", []):
                if product not in ALLOWED_PRODUCTS:
                    problems.append(f"{' -> '.join(paths[name] + [product])}: pure module {pure} uses product "
                                    f"{product}, not known to be free of C libraries (ALLOWED_PRODUCTS)")
            for dependency in target.get("target_dependencies", []):
                if dependency in paths:
                    continue
                paths[dependency] = paths[name] + [dependency]
                if dependency in system:
                    problems.append(f"{' -> '.join(paths[dependency])}: pure module {pure} links a C system library")
                else:
                    queue.append(dependency)
    # The sources as they are here (run from the package root), else where describe found the package.
    root = "." if os.path.exists("Package.swift") else package.get("path", ".")
    for place, target, module in undeclared_imports(targets, root):
        problems.append(f"{place}: {target} imports {module} without declaring it (add it to its dependencies)")
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"check-graph: {len(PURE)} pure modules, none reaches any of {len(system)} system libraries "
              f"({', '.join(sorted(system))}); every import of {len(targets)} targets is declared")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
