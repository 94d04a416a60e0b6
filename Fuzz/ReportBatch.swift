// libFuzzer entry for the report decoder (`BatchDecoding.decode`, the collector's only way into a POST
// /api/v1/reports body), built by `make fuzz` with Sources/ReadinessModel, Sources/SansangAPI and the two files of
// CollectorCore it needs (see docs/reliability.md). Every input must decode into a batch within ReportLimits, or be
// refused with one of the three documented codes and a message in words; a crash, a trap or another outcome is a
// finding (libFuzzer keeps the input under .build/fuzz/).
import CollectorCore
import Foundation
import ReadinessModel
import SansangAPI

@_cdecl("LLVMFuzzerTestOneInput")
public func reportBatchFuzzTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Data(bytes: data, count: size)
    do {
        let batch = try BatchDecoding.decode(body)
        precondition(!batch.reports.isEmpty && batch.reports.allSatisfy { $0.limitProblems().isEmpty }, "a batch outside the limits")
    } catch {
        precondition([.malformedJSON, .invalidReport, .unsupportedFormat].contains(error.code), "\(error)")
        precondition(!error.message.isEmpty && !error.message.contains("DecodingError"), "\(error)")
    }
    return 0
}
