#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

// The C calls under names that the operations below do not shadow.
private func posixWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int { write(fd, bytes, count) }
private func posixRename(_ from: String, _ to: String) -> Int32 { rename(from, to) }

/// A failed file operation: what was being done (`code`), on which path (`message`), and the system's reason.
public struct FileOperationError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case create, write, rename, sync, remove, createDirectory, list, read, lock
    }

    public let code: Code
    public let message: String
    /// strerror(errno), or the Foundation error's description.
    public let cause: String

    public init(_ code: Code, _ message: String, cause: String) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { "\(message): \(cause)" }
}

/// The one set of durable file operations (spool, mail outbox, the agent's state files): each is on disk when it
/// returns. Writes go aside, are fsynced, renamed into place and the directory fsynced, so that after a crash a
/// file is there in full or not at all. These block: call them from a dedicated thread (`BlockingPool`), or
/// through the async forms, which do.
public enum DurableFile {
    static func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

    /// Writes `data` to `temporary` (created exclusively, mode 0600), fsyncs it, renames it to `destination`
    /// and fsyncs the directory.
    public static func write(_ data: Data, to destination: URL, via temporary: URL) throws(FileOperationError) {
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileOperationError(.create, "cannot create \(temporary.path)", cause: errnoText()) }
        var failure: String?
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = posixWrite(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = errnoText()
                    return
                }
                offset += written
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = errnoText() }
        close(fd)
        if let failure {
            unlink(temporary.path)
            throw FileOperationError(.write, "cannot write \(temporary.path)", cause: failure)
        }
        guard posixRename(temporary.path, destination.path) == 0 else {
            let cause = errnoText()
            unlink(temporary.path)
            throw FileOperationError(.rename, "cannot rename \(temporary.path) to \(destination.path)", cause: cause)
        }
        try syncDirectory(destination.deletingLastPathComponent())
    }

    /// The same, with a temporary file of a unique name in `temporaryDirectory` (same file system).
    public static func write(_ data: Data, to destination: URL, temporaryDirectory: URL) throws(FileOperationError) {
        let temporary = temporaryDirectory.appendingPathComponent(destination.lastPathComponent + "." + UUID().uuidString)
        try write(data, to: destination, via: temporary)
    }

    /// Replaces the file at `url` (the temporary file is a hidden one beside it): for small state files.
    public static func replace(_ url: URL, with data: Data) throws(FileOperationError) {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString)")
        try write(data, to: url, via: temporary)
    }

    /// `replace` on a thread of `BlockingPool.shared`, off the cooperative pool.
    public static func replaceOffPool(_ url: URL, with data: Data) async throws(FileOperationError) {
        try await BlockingPool.shared.run { Result { () throws(FileOperationError) in try replace(url, with: data) } }.get()
    }

    public static func syncDirectory(_ directory: URL) throws(FileOperationError) {
        let fd = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileOperationError(.sync, "cannot open \(directory.path)", cause: errnoText()) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw FileOperationError(.sync, "cannot fsync \(directory.path)", cause: errnoText()) }
    }

    /// Renames `file` to `destination` (same file system), without syncing: for several renames and one sync.
    public static func rename(_ file: URL, to destination: URL) throws(FileOperationError) {
        guard posixRename(file.path, destination.path) == 0 else {
            throw FileOperationError(.rename, "cannot move \(file.path) to \(destination.path)", cause: errnoText())
        }
    }

    /// Renames `file` to `destination` and makes the change durable in both directories.
    public static func move(_ file: URL, to destination: URL) throws(FileOperationError) {
        try rename(file, to: destination)
        try syncDirectory(destination.deletingLastPathComponent())
        try syncDirectory(file.deletingLastPathComponent())
    }

    /// Removes a file; a missing one is fine. Not synced: see `removeDurably`.
    public static func remove(_ file: URL) throws(FileOperationError) {
        guard unlink(file.path) == 0 || errno == ENOENT else {
            throw FileOperationError(.remove, "cannot remove \(file.path)", cause: errnoText())
        }
    }

    /// Removes the files (of one directory; missing ones are fine) and syncs their directory.
    public static func removeDurably(_ files: [URL]) throws(FileOperationError) {
        for file in files { try remove(file) }
        if let directory = files.first?.deletingLastPathComponent() { try syncDirectory(directory) }
    }

    /// Creates `directory` and its parents (mode 0700 for the ones created).
    public static func createDirectory(_ directory: URL) throws(FileOperationError) {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw FileOperationError(.createDirectory, "cannot create \(directory.path)", cause: String(describing: error))
        }
    }

    /// The names of the entries of `directory`.
    public static func names(in directory: URL) throws(FileOperationError) -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw FileOperationError(.list, "cannot list \(directory.path)", cause: String(describing: error))
        }
    }

    /// The names and sizes of the regular files in `directory`.
    public static func regularFiles(in directory: URL) throws(FileOperationError) -> [(name: String, bytes: Int)] {
        try names(in: directory).compactMap { name in
            var info = stat()
            guard stat(directory.appendingPathComponent(name).path, &info) == 0,
                  (info.st_mode & S_IFMT) == S_IFREG else { return nil }
            return (name, Int(info.st_size))
        }
    }

    public static func read(_ file: URL) throws(FileOperationError) -> Data {
        do {
            return try Data(contentsOf: file)
        } catch {
            throw FileOperationError(.read, "cannot read \(file.path)", cause: String(describing: error))
        }
    }

    /// An exclusive advisory lock on `file` (created if missing), held for as long as the returned descriptor is
    /// open. `inUse` is the message when another process holds it.
    public static func lock(_ file: URL, inUse: @autoclosure () -> String) throws(FileOperationError) -> Int32 {
        let fd = open(file.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileOperationError(.lock, "cannot open \(file.path)", cause: errnoText()) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let cause = errnoText()
            close(fd)
            throw FileOperationError(.lock, inUse(), cause: cause)
        }
        return fd
    }
}
