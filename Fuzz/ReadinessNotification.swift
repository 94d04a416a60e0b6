// libFuzzer entry for the SNMP notification decoder (`ReadinessMIB.decode`: what the collector makes of the
// variable bindings net-snmp parsed), built by `make fuzz` with Sources/ReadinessModel, Sources/SNMPTypes (without
// its YAML keys) and Sources/ReadinessMIB. An input is an entry of Tests/Corpus/snmp-notification in
// `NotificationCorpusText` (compiled in from Tests/ReadinessMIBTests); one that is not is skipped. Every entry must
// decode into a notification that encodes and decodes again (to itself when its texts fit the MIB's 255 octets), or be refused with one of the decoder's six
// codes and a message; anything else is a finding.
import Foundation
import ReadinessMIB
import SNMPTypes

let knownCodes: Set<String> = ["bad_link_index", "bad_reason", "missing_object", "unknown_notification", "unknown_verdict", "wrong_type"]

@_cdecl("LLVMFuzzerTestOneInput")
public func readinessNotificationFuzzTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let entry = try? NotificationCorpusText.parse(text) else { return 0 }
    let mib = ReadinessMIB()
    do {
        let notification = try mib.decode(trapOID: entry.trapOID, varBinds: entry.varBinds)
        let again = try? mib.decode(trapOID: mib.trapOID(notification.kind), varBinds: mib.varBinds(notification))
        precondition(again != nil, "\(notification) does not encode into a notification")
        precondition(!NotificationCorpusText.fitsTheMIB(notification) || again == notification, "\(notification) does not decode to itself")
    } catch {
        precondition(knownCodes.contains(error.code) && !error.message.isEmpty, "\(error)")
    }
    return 0
}
