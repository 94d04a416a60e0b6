#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The outbox's file operations, each durable when it returns (write aside, fsync, rename, fsync the directory).
enum OutboxFiles {
    static func failure(_ message: String, _ error: any Error) -> MailError {
        MailError(.storage, message, cause: String(describing: error))
    }

    static func systemFailure(_ message: String) -> MailError {
        MailError(.storage, message, cause: String(cString: strerror(errno)))
    }

    /// After return `destination` holds `data` in full, or (after a crash) is as before.
    static func write(_ data: Data, to destination: URL, temporaryDirectory: URL) throws(MailError) {
        let temporary = temporaryDirectory.appendingPathComponent(destination.lastPathComponent + "." + UUID().uuidString)
        do {
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw systemFailure("cannot create \(temporary.path)")
            }
            let handle = try FileHandle(forWritingTo: temporary)
            defer { try? handle.close() }
            try handle.write(contentsOf: data)
            try handle.synchronize()
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw failure("cannot write \(temporary.path)", error)
        }
        guard rename(temporary.path, destination.path) == 0 else {
            let error = systemFailure("cannot rename \(temporary.path) to \(destination.path)")
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        try syncDirectory(destination.deletingLastPathComponent())
    }

    static func syncDirectory(_ directory: URL) throws(MailError) {
        let fd = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw systemFailure("cannot open \(directory.path)") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw systemFailure("cannot fsync \(directory.path)") }
    }

    /// Removes the files (missing ones are fine) and makes that durable.
    static func remove(_ files: [URL]) throws(MailError) {
        for file in files where unlink(file.path) != 0 && errno != ENOENT {
            throw systemFailure("cannot remove \(file.path)")
        }
        if let directory = files.first?.deletingLastPathComponent() { try syncDirectory(directory) }
    }

    /// Moves the files that exist into `directory` under a unique name, e.g. damaged records into `bad/`.
    static func moveAside(_ files: [URL], into directory: URL) throws(MailError) {
        let stamp = UUID().uuidString.prefix(8)
        for file in files where FileManager.default.fileExists(atPath: file.path) {
            let destination = directory.appendingPathComponent("\(file.lastPathComponent).\(stamp)")
            guard rename(file.path, destination.path) == 0 else { throw systemFailure("cannot move \(file.path) aside") }
        }
        try syncDirectory(directory)
        if let source = files.first?.deletingLastPathComponent() { try syncDirectory(source) }
    }

    static func names(in directory: URL) throws(MailError) -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw failure("cannot list \(directory.path)", error)
        }
    }

    static func read(_ file: URL) throws(MailError) -> Data {
        do {
            return try Data(contentsOf: file)
        } catch {
            throw failure("cannot read \(file.path)", error)
        }
    }

    /// An exclusive lock on the directory for as long as the returned descriptor is open: one deliverer per outbox.
    static func lock(_ directory: URL) throws(MailError) -> Int32 {
        let path = directory.appendingPathComponent("lock").path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw systemFailure("cannot open \(path)") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let error = systemFailure("the outbox \(directory.path) is in use by another process")
            close(fd)
            throw error
        }
        return fd
    }
}
