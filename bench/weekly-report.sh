#!/usr/bin/env bash
# The weekly summary for 3,321 sites, chart included (target < 2 s): the summary, the cairo chart,
# the HTML, text, CSV and JSON, optimised, timed in one process. The module and the two it uses are compiled
# straight from Sources/ with swiftc -O beside bench/weekly-report.swift, so no product is needed.
# Usage: bench/weekly-report.sh   (needs: swift, pkg-config, libcairo2-dev, fonts-dejavu-core)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cairo=$(pkg-config --cflags cairo | sed 's/-I/-Xcc -I/g')
flags=(-O -swift-version 6 -I "$work" -Xcc "-fmodule-map-file=$PWD/Sources/CCairo/module.modulemap")
swiftc "${flags[@]}" -parse-as-library -emit-module -emit-library -static -module-name ReadinessModel \
  -emit-module-path "$work/ReadinessModel.swiftmodule" Sources/ReadinessModel/*.swift -o "$work/libReadinessModel.a"
swiftc "${flags[@]}" -parse-as-library -emit-module -emit-library -static -module-name Presentation \
  -emit-module-path "$work/Presentation.swiftmodule" Sources/Presentation/*.swift -o "$work/libPresentation.a"
# shellcheck disable=SC2086
swiftc "${flags[@]}" $cairo -parse-as-library -emit-module -emit-library -static -module-name WeeklyReport \
  -emit-module-path "$work/WeeklyReport.swiftmodule" Sources/WeeklyReport/*.swift -o "$work/libWeeklyReport.a"
# shellcheck disable=SC2086
swiftc "${flags[@]}" $cairo bench/weekly-report.swift "$work/libWeeklyReport.a" "$work/libPresentation.a" \
  "$work/libReadinessModel.a" -lcairo -o "$work/weekly-report"
"$work/weekly-report"
