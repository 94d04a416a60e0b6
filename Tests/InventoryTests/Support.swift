import YAMLConfig
import Foundation
import Inventory
import TestSupport


/// A minimal profile file that the test documents refer to.
let profilesSource = InventorySource(file: "profiles.yaml", text: """
    profiles:
      - name: default
        links:
          - {role: lan, target_mbps: 10G}
          - {role: wan, target_mbps: 200}
        services:
          - {name: vneid, kind: https, host: vneid.gov.vn, path: /}
          - {name: ntp, kind: ntp, host: vn.pool.ntp.org}

    """)

/// The errors of decoding `yaml` (as file "t.yaml") together with `profilesSource`; empty when valid.
func errors(_ yaml: String) -> [InventoryError] {
    do {
        _ = try InventoryLoader.decode([profilesSource, InventorySource(file: "t.yaml", text: yaml)])
        return []
    } catch {
        return error.errors
    }
}

/// Compares what tests care about in one line: code, place and field path.
func summary(_ error: InventoryError) -> String {
    "\(error.code.rawValue) \(error.location.file):\(error.location.line):\(error.location.column) \(error.field)"
}
