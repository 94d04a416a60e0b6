#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The file operations the spool needs, each durable when it returns (blocking: called from the spool actor).
enum DurableFiles {
    static func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

    /// Writes `data` to `temporary` (created exclusively, mode 0600), fsyncs it, renames it to `destination`
    /// and fsyncs the directory: after return the file is there in full, or (after a crash) not at all.
    static func writeAtomically(_ data: Data, to destination: URL, via temporary: URL) throws(SpoolError) {
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SpoolError(.write, "cannot create \(temporary.path)", cause: errnoText()) }
        var failure: String?
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
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
            throw SpoolError(.write, "cannot write \(temporary.path)", cause: failure)
        }
        guard rename(temporary.path, destination.path) == 0 else {
            let cause = errnoText()
            unlink(temporary.path)
            throw SpoolError(.write, "cannot rename into \(destination.path)", cause: cause)
        }
        try syncDirectory(destination.deletingLastPathComponent())
    }

    static func syncDirectory(_ directory: URL) throws(SpoolError) {
        let fd = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SpoolError(.write, "cannot open \(directory.path)", cause: errnoText()) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw SpoolError(.write, "cannot fsync \(directory.path)", cause: errnoText()) }
    }

    /// Moves a file into another directory of the same file system and makes both renames durable.
    static func move(_ file: URL, into directory: URL) throws(SpoolError) {
        let destination = directory.appendingPathComponent(file.lastPathComponent)
        guard rename(file.path, destination.path) == 0 else {
            throw SpoolError(.remove, "cannot move \(file.path) to \(directory.path)", cause: errnoText())
        }
        try syncDirectory(directory)
        try syncDirectory(file.deletingLastPathComponent())
    }

    static func remove(_ file: URL) throws(SpoolError) {
        guard unlink(file.path) == 0 || errno == ENOENT else {
            throw SpoolError(.remove, "cannot remove \(file.path)", cause: errnoText())
        }
    }

    static func createDirectory(_ directory: URL) throws(SpoolError) {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw SpoolError(.createDirectory, "cannot create \(directory.path)", cause: String(describing: error))
        }
    }

    /// The names and sizes of the regular files in `directory`.
    static func list(_ directory: URL) throws(SpoolError) -> [(name: String, bytes: Int)] {
        do {
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            return names.compactMap { name in
                var info = stat()
                guard stat(directory.appendingPathComponent(name).path, &info) == 0,
                      (info.st_mode & S_IFMT) == S_IFREG else { return nil }
                return (name, Int(info.st_size))
            }
        } catch {
            throw SpoolError(.read, "cannot list \(directory.path)", cause: String(describing: error))
        }
    }

    static func read(_ file: URL) throws(SpoolError) -> Data {
        do {
            return try Data(contentsOf: file)
        } catch {
            throw SpoolError(.read, "cannot read \(file.path)", cause: String(describing: error))
        }
    }

    /// An exclusive advisory lock held for as long as the returned descriptor stays open.
    static func lock(_ file: URL) throws(SpoolError) -> Int32 {
        let fd = open(file.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SpoolError(.locked, "cannot open \(file.path)", cause: errnoText()) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let cause = errnoText()
            close(fd)
            throw SpoolError(.locked, "the spool \(file.deletingLastPathComponent().path) is in use by another agent", cause: cause)
        }
        return fd
    }
}

/// Replaces the file at `url` atomically and durably (write beside it, fsync, rename, fsync the directory):
/// for small state files such as the agent's cached plan.
public func replaceFileDurably(_ url: URL, with data: Data) throws(SpoolError) {
    let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString)")
    try DurableFiles.writeAtomically(data, to: url, via: temporary)
}
