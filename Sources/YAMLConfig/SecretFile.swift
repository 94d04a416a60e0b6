import Foundation

/// Files holding secrets (tokens, SNMP passphrases, passwords): read only when other users cannot read them, and
/// written atomically with the mode given. Every secret of agent and collector passes through here.
public enum SecretFile {
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var message: String
        public var description: String { "\(path): \(message)" }
    }

    /// The file's text without its trailing newlines; refused when others may read it or when it is empty.
    public static func read(_ path: String) throws(Refusal) -> String {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw Refusal(path: path, message: "cannot read: \(String(cString: strerror(errno)))")
        }
        try checkPrivate(path, mode: status.st_mode)
        guard let data = FileManager.default.contents(atPath: path) else { throw Refusal(path: path, message: "cannot read") }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
        guard !text.isEmpty else { throw Refusal(path: path, message: "is empty") }
        return text
    }

    /// Refuses a mode that lets users other than the owner and group read the file.
    public static func checkPrivate(_ path: String, mode: mode_t) throws(Refusal) {
        guard mode & 0o004 == 0 else {
            throw Refusal(path: path, message: "holds a secret but every user can read it (mode \(String(mode & 0o777, radix: 8))); "
                                              + "chmod 600 it")
        }
    }

    /// Writes `text` to a temporary file beside `path` with `mode`, owned by the first of `owners` that exists when we
    /// are root, then renames it over `path`: readers see the old file or the new one, never a part.
    public static func writeAtomically(_ text: String, to path: String, mode: mode_t, owners: [String] = []) throws {
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw Refusal(path: path, message: String(cString: strerror(errno))) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            fchmod(descriptor, mode)
            if geteuid() == 0, let user = owners.lazy.compactMap({ getpwnam($0) }).first {
                fchown(descriptor, user.pointee.pw_uid, user.pointee.pw_gid)
            }
            try handle.write(contentsOf: Data(text.utf8))
            try handle.synchronize()
            guard rename(temporary, path) == 0 else { throw Refusal(path: path, message: String(cString: strerror(errno))) }
        } catch {
            unlink(temporary)
            throw error
        }
    }
}
