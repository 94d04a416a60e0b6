import Foundation
import SystemSupport

/// The spool's file operations: SystemSupport's `DurableFile`, with its errors as `SpoolError`s of the spool's
/// codes (blocking: called from the spool actor).
enum DurableFiles {
    static func writeAtomically(_ data: Data, to destination: URL, via temporary: URL) throws(SpoolError) {
        try spool(.write) { () throws(FileOperationError) in try DurableFile.write(data, to: destination, via: temporary) }
    }

    static func syncDirectory(_ directory: URL) throws(SpoolError) {
        try spool(.write) { () throws(FileOperationError) in try DurableFile.syncDirectory(directory) }
    }

    /// Moves a file into another directory of the same file system and makes both renames durable.
    static func move(_ file: URL, into directory: URL) throws(SpoolError) {
        try spool(.remove) { () throws(FileOperationError) in
            try DurableFile.move(file, to: directory.appendingPathComponent(file.lastPathComponent))
        }
    }

    static func remove(_ file: URL) throws(SpoolError) {
        try spool(.remove) { () throws(FileOperationError) in try DurableFile.remove(file) }
    }

    static func createDirectory(_ directory: URL) throws(SpoolError) {
        try spool(.createDirectory) { () throws(FileOperationError) in try DurableFile.createDirectory(directory) }
    }

    /// The names and sizes of the regular files in `directory`.
    static func list(_ directory: URL) throws(SpoolError) -> [(name: String, bytes: Int)] {
        try spool(.read) { () throws(FileOperationError) in try DurableFile.regularFiles(in: directory) }
    }

    static func read(_ file: URL) throws(SpoolError) -> Data {
        try spool(.read) { () throws(FileOperationError) in try DurableFile.read(file) }
    }

    /// An exclusive advisory lock held for as long as the returned descriptor stays open.
    static func lock(_ file: URL) throws(SpoolError) -> Int32 {
        try spool(.locked) { () throws(FileOperationError) in
            try DurableFile.lock(file, inUse: "the spool \(file.deletingLastPathComponent().path) is in use by another agent")
        }
    }

    private static func spool<T>(_ code: SpoolError.Code, _ body: () throws(FileOperationError) -> T) throws(SpoolError) -> T {
        do {
            return try body()
        } catch {
            throw SpoolError(code, error.message, cause: error.cause)
        }
    }
}
