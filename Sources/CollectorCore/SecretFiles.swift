import Foundation

/// Files holding secrets (the SMTP password, the TLS private key) must not be readable by other users.
public enum SecretFiles {
    /// Why `path` must not be used as a secret, or nil when only its owner and group may read it. A file that
    /// cannot be examined is left to the read that follows (it names its own error).
    public static func problem(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let mode = info.st_mode & 0o777
        guard mode & 0o007 != 0 else { return nil }
        return "\(path) is open to other users (mode \(String(mode, radix: 8))); it holds a secret: "
            + "run `chmod o-rwx \(path)` (or `chmod 600 \(path)`) and start again"
    }
}
