import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Makes a child started with `actions` inherit no descriptor but stdin, stdout and stderr.
///
/// Sockets NIO accepts are not close-on-exec (`accept4` with `SOCK_NONBLOCK` only), nor are the raw sockets tests
/// open. A child spawned while an in-process collector has connections open kept a copy of each: when the
/// collector then closed one (an idle timeout, a refusal), the kernel sent no FIN until that child — a daemon of
/// another test, a Python validator — exited, so in a parallel run connections stayed open for many seconds after
/// the server had closed them. glibc (2.34 and later) closes the rest in the child with
/// `posix_spawn_file_actions_addclosefrom_np`, which Swift's Glibc module does not import: it is looked up by name.
/// Without it, every descriptor above stderr is marked close-on-exec here instead (a descriptor opened by another
/// thread between this and the spawn may still be inherited).
func closeDescriptorsAboveStderr(_ actions: inout posix_spawn_file_actions_t) {
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    if let process = dlopen(nil, RTLD_NOW), let symbol = dlsym(process, "posix_spawn_file_actions_addclosefrom_np") {
        let addCloseFrom = unsafeBitCast(symbol, to: AddCloseFrom.self)
        if addCloseFrom(&actions, 3) == 0 { return }
    }
    guard let directory = opendir("/proc/self/fd") else { return }
    defer { closedir(directory) }
    let own = dirfd(directory)
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard let fd = Int32(name), fd > 2, fd != own else { continue }
        let flags = fcntl(fd, F_GETFD)
        if flags >= 0, flags & FD_CLOEXEC == 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
    }
}
