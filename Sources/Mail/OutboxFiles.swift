import Foundation
import SystemSupport

/// The outbox's file operations: SystemSupport's `DurableFile` (write aside, fsync, rename, fsync the directory),
/// with its errors as `MailError`s of code `storage`.
enum OutboxFiles {
    static func failure(_ message: String, _ error: any Error) -> MailError {
        MailError(.storage, message, cause: String(describing: error))
    }

    static func systemFailure(_ message: String) -> MailError {
        MailError(.storage, message, cause: String(cString: strerror(errno)))
    }

    /// After return `destination` holds `data` in full, or (after a crash) is as before.
    static func write(_ data: Data, to destination: URL, temporaryDirectory: URL) throws(MailError) {
        try storage { () throws(FileOperationError) in try DurableFile.write(data, to: destination, temporaryDirectory: temporaryDirectory) }
    }

    /// Removes the files (missing ones are fine) and makes that durable.
    static func remove(_ files: [URL]) throws(MailError) {
        try storage { () throws(FileOperationError) in try DurableFile.removeDurably(files) }
    }

    /// Moves the files that exist into `directory` under a unique name, e.g. damaged records into `bad/`.
    static func moveAside(_ files: [URL], into directory: URL) throws(MailError) {
        let stamp = UUID().uuidString.prefix(8)
        try storage { () throws(FileOperationError) in
            for file in files where FileManager.default.fileExists(atPath: file.path) {
                try DurableFile.rename(file, to: directory.appendingPathComponent("\(file.lastPathComponent).\(stamp)"))
            }
            try DurableFile.syncDirectory(directory)
            if let source = files.first?.deletingLastPathComponent() { try DurableFile.syncDirectory(source) }
        }
    }

    static func names(in directory: URL) throws(MailError) -> [String] {
        try storage { () throws(FileOperationError) in try DurableFile.names(in: directory) }
    }

    static func read(_ file: URL) throws(MailError) -> Data {
        try storage { () throws(FileOperationError) in try DurableFile.read(file) }
    }

    /// An exclusive lock on the directory for as long as the returned descriptor is open: one deliverer per outbox.
    static func lock(_ directory: URL) throws(MailError) -> Int32 {
        try storage { () throws(FileOperationError) in
            try DurableFile.lock(directory.appendingPathComponent("lock"), inUse: "the outbox \(directory.path) is in use by another process")
        }
    }

    private static func storage<T>(_ body: () throws(FileOperationError) -> T) throws(MailError) -> T {
        do {
            return try body()
        } catch {
            throw MailError(.storage, error.message, cause: error.cause)
        }
    }
}
