#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import SystemSupport

/// What the outbox keeps per message, as JSON named after the id.
protocol OutboxRecord: Codable {
    var id: String { get }
    /// Whether an `.eml` belongs beside the record.
    static var hasMessage: Bool { get }
}

/// A queued message as the outbox keeps it (the metadata beside its rendered `.eml`).
public struct OutboxEntry: Sendable, Hashable, Codable, OutboxRecord {
    /// The caller's id (e.g. the alert notification id): enqueuing it again is a no-op.
    public var id: String
    public var subject: String
    /// The envelope: sender and recipients.
    public var from: String
    public var to: [String]
    public var enqueuedAt: Date
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastAttemptAt: Date?
    public var lastError: MailError?
    static var hasMessage: Bool { true }
}

/// A delivered message, kept (without its content) so that enqueuing its id again stays a no-op.
public struct SentRecord: Sendable, Hashable, Codable, OutboxRecord {
    public var id: String
    public var subject: String
    public var to: [String]
    public var enqueuedAt: Date
    public var sentAt: Date
    public var attempts: Int
    static var hasMessage: Bool { false }
}

/// A durable queue of outgoing mail in a directory; `OutboxService` delivers it.
///
/// Layout: `queue/m-<id>.eml` (the rendered message) and `queue/m-<id>.json` (its `OutboxEntry`, written
/// last: it is what makes the message queued), `sent/m-<id>.json` (`SentRecord`s, pruned after
/// `sentRetention`), `bad/` (damaged files moved aside), `tmp/` (writes in progress), `incoming/` (messages other
/// processes dropped, `Outbox.drop`, queued by the owner), `lock` (held by the owner, the one deliverer).
public actor Outbox {
    // Every method fsyncs: they run on the outbox's own thread, not on the cooperative pool.
    private let executor = DedicatedThreadExecutor(name: "sansang-outbox")
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    public nonisolated let directory: URL
    private let now: @Sendable () -> Date
    private let sentRetention: Duration
    private var queued: [String: OutboxEntry]
    private var sentRecords: [String: SentRecord]
    /// Files moved to `bad/` since this outbox was opened.
    public private(set) var badFiles: Int
    private let lockDescriptor: Int32
    // The delivery service waiting for work, and whether work came while nobody waited.
    private var waiter: (token: Int, continuation: CheckedContinuation<Void, Never>)?
    private var lastToken = 0
    private var rung = false

    private nonisolated var sentDirectory: URL { directory.appendingPathComponent("sent") }
    private nonisolated var badDirectory: URL { directory.appendingPathComponent("bad") }
    private nonisolated var temporaryDirectory: URL { directory.appendingPathComponent("tmp") }

    /// Opens (creating if needed) the outbox in `directory`: interrupted writes are removed, damaged files
    /// moved to `bad/` and counted, messages already recorded as sent are taken off the queue.
    public init(directory: URL, sentRetention: Duration = .seconds(30 * 86_400),
                now: @escaping @Sendable () -> Date = Date.init) throws(MailError) {
        self.directory = directory
        self.now = now
        self.sentRetention = sentRetention
        for name in ["queue", "sent", "bad", "tmp"] {
            do {
                try FileManager.default.createDirectory(at: directory.appendingPathComponent(name), withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw OutboxFiles.failure("cannot create \(directory.appendingPathComponent(name).path)", error)
            }
        }
        let lock = try OutboxFiles.lock(directory)
        lockDescriptor = lock
        do {
            let temporary = directory.appendingPathComponent("tmp")
            try OutboxFiles.remove(try OutboxFiles.names(in: temporary).map { temporary.appendingPathComponent($0) })
            var bad = 0
            let badDirectory = directory.appendingPathComponent("bad")
            var sent: [String: SentRecord] = try Self.load(directory.appendingPathComponent("sent"), bad: &bad, badDirectory: badDirectory)
            let queue: [String: OutboxEntry] = try Self.load(directory.appendingPathComponent("queue"), bad: &bad, badDirectory: badDirectory)
            // Sent while its queue files were still there (a stop between the two steps of `delivered`).
            for id in queue.keys where sent[id] != nil {
                try OutboxFiles.remove(Self.queueFiles(id, in: directory))
            }
            try Self.prune(&sent, olderThan: now().addingTimeInterval(-sentRetention.inSeconds), in: directory)
            queued = queue.filter { sent[$0.key] == nil }
            sentRecords = sent
            badFiles = bad
        } catch {
            close(lock)
            throw error
        }
    }

    deinit { close(lockDescriptor) }

    /// The records of `directory` by id. Damaged ones, a record whose file name is not its id's, and a queued
    /// message without its `.eml` are moved to `bad/`; an `.eml` without metadata (an enqueue that did not
    /// finish) is removed.
    private static func load<Record: OutboxRecord>(_ directory: URL, bad: inout Int, badDirectory: URL) throws(MailError) -> [String: Record] {
        let names = Set(try OutboxFiles.names(in: directory))
        var records: [String: Record] = [:]
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        for name in names where name.hasSuffix(".json") {
            let base = String(name.dropLast(5))
            let json = directory.appendingPathComponent(name)
            let eml = directory.appendingPathComponent(base + ".eml")
            if let record = try? decoder.decode(Record.self, from: OutboxFiles.read(json)), fileBase(record.id) == base,
               !Record.hasMessage || names.contains(base + ".eml") {
                records[record.id] = record
            } else {
                try OutboxFiles.moveAside([json, eml], into: badDirectory)
                bad += 1
            }
        }
        for name in names where name.hasSuffix(".eml") && !names.contains(String(name.dropLast(4)) + ".json") {
            try OutboxFiles.remove([directory.appendingPathComponent(name)])
        }
        return records
    }

    /// Queues `message` under `id`; false (and nothing written) when a message with this id is queued or was sent.
    public func enqueue(_ message: MailMessage, id: String) throws(MailError) -> Bool {
        guard queued[id] == nil, sentRecords[id] == nil else { return false }
        let recipients = try Self.validate(message, id: id)
        let time = now()
        let entry = OutboxEntry(id: id, subject: message.subject, from: message.from.address, to: recipients, enqueuedAt: time,
                                attempts: 0, nextAttemptAt: time)
        let files = queueFiles(id)
        try OutboxFiles.write(MIME.render(message), to: files[0], temporaryDirectory: temporaryDirectory)
        try save(entry, to: files[1])
        queued[id] = entry
        ring()
        return true
    }

    /// The queued messages, oldest first.
    public func pending() -> [OutboxEntry] {
        queued.values.sorted { ($0.enqueuedAt, $0.id) < ($1.enqueuedAt, $1.id) }
    }

    /// The most recently delivered messages, newest first.
    public func sent(limit: Int = 50) -> [SentRecord] {
        Array(sentRecords.values.sorted { ($0.sentAt, $0.id) > ($1.sentAt, $1.id) }.prefix(limit))
    }

    /// The oldest message whose next attempt is due, with its rendered bytes; a message whose file cannot be
    /// read is moved to `bad/`, counted, and the next one is tried.
    func nextDue() throws(MailError) -> (entry: OutboxEntry, rendered: Data)? {
        try importIncoming()
        let time = now()
        for entry in pending() where entry.nextAttemptAt <= time {
            let files = queueFiles(entry.id)
            if let rendered = try? OutboxFiles.read(files[0]) { return (entry, rendered) }
            try OutboxFiles.moveAside(files, into: badDirectory)
            queued[entry.id] = nil
            badFiles += 1
        }
        return nil
    }

    /// Queues what other processes dropped into `incoming/` (`Outbox.drop`): the `.eml` is moved into the queue,
    /// then its entry written; an id already queued or sent is discarded, a damaged entry moved to `bad/`.
    func importIncoming() throws(MailError) {
        let incoming = directory.appendingPathComponent("incoming")
        guard FileManager.default.fileExists(atPath: incoming.path) else { return }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        for name in try OutboxFiles.names(in: incoming).sorted() where name.hasSuffix(".json") && !name.hasPrefix(".") {
            let json = incoming.appendingPathComponent(name)
            let eml = incoming.appendingPathComponent(String(name.dropLast(5)) + ".eml")
            guard let entry = try? decoder.decode(OutboxEntry.self, from: OutboxFiles.read(json)),
                  FileManager.default.fileExists(atPath: eml.path) else {
                try OutboxFiles.moveAside([json, eml], into: badDirectory)
                badFiles += 1
                continue
            }
            guard queued[entry.id] == nil, sentRecords[entry.id] == nil else {
                try OutboxFiles.remove([json, eml])
                continue
            }
            let files = queueFiles(entry.id)
            guard rename(eml.path, files[0].path) == 0 else { throw OutboxFiles.systemFailure("cannot move \(eml.path) into the queue") }
            try save(entry, to: files[1])
            try OutboxFiles.remove([json])
            queued[entry.id] = entry
        }
    }

    /// When the next queued message falls due; nil when the queue is empty.
    func nextAttemptAt() -> Date? { queued.values.map(\.nextAttemptAt).min() }

    /// Records the delivery of `id` (in `sent/`) and removes it from the queue.
    func delivered(_ id: String) throws(MailError) {
        guard let entry = queued.removeValue(forKey: id) else { return }
        let record = SentRecord(id: id, subject: entry.subject, to: entry.to, enqueuedAt: entry.enqueuedAt, sentAt: now(),
                                attempts: entry.attempts + 1)
        // In memory first: even if the disk fails now, this process does not send it again.
        sentRecords[id] = record
        try save(record, to: sentDirectory.appendingPathComponent(Self.fileBase(id) + ".json"))
        try OutboxFiles.remove(queueFiles(id))
        try Self.prune(&sentRecords, olderThan: now().addingTimeInterval(-sentRetention.inSeconds), in: directory)
    }

    /// Records a failed attempt of `id`; the next one is due after `retryAfter`.
    func failed(_ id: String, error: MailError, retryAfter: Duration) throws(MailError) {
        guard var entry = queued[id] else { return }
        let time = now()
        entry.attempts += 1
        entry.lastError = error
        entry.lastAttemptAt = time
        entry.nextAttemptAt = time.addingTimeInterval(retryAfter.inSeconds)
        queued[id] = entry
        try save(entry, to: queueFiles(id)[1])
    }

    /// Returns when a message is enqueued, at `deadline`, or when the task is cancelled.
    func waitForWork(until deadline: Date?) async {
        if rung {
            rung = false
            return
        }
        lastToken += 1
        let token = lastToken
        let timer = deadline.map { deadline in
            let seconds = max(0, deadline.timeIntervalSince(now()))
            return Task { [weak self] in
                try? await Task.sleep(for: .seconds(seconds))
                await self?.wake(token)
            }
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // A second waiter replaces the first, which returns (and looks for work) at once.
                waiter?.continuation.resume()
                if Task.isCancelled {
                    waiter = nil
                    continuation.resume()
                } else {
                    waiter = (token, continuation)
                }
            }
        } onCancel: {
            Task { [weak self] in await self?.wake(token) }
        }
        timer?.cancel()
    }

    private func wake(_ token: Int) {
        guard let waiter, waiter.token == token else { return }
        self.waiter = nil
        waiter.continuation.resume()
    }

    private func ring() {
        guard let waiter else {
            rung = true
            return
        }
        self.waiter = nil
        waiter.continuation.resume()
    }

    private static func prune(_ records: inout [String: SentRecord], olderThan limit: Date, in directory: URL) throws(MailError) {
        for record in records.values where record.sentAt < limit {
            try OutboxFiles.remove([directory.appendingPathComponent("sent").appendingPathComponent(fileBase(record.id) + ".json")])
            records[record.id] = nil
        }
    }

    private func save(_ record: some Encodable, to file: URL) throws(MailError) {
        try OutboxFiles.write(try Self.encode(record), to: file, temporaryDirectory: temporaryDirectory)
    }

    /// The message's `.eml` and `.json` in `queue/`.
    private nonisolated func queueFiles(_ id: String) -> [URL] { Self.queueFiles(id, in: directory) }

    private static func queueFiles(_ id: String, in directory: URL) -> [URL] {
        let queue = directory.appendingPathComponent("queue")
        return [queue.appendingPathComponent(fileBase(id) + ".eml"), queue.appendingPathComponent(fileBase(id) + ".json")]
    }

    /// A file name for any id: letters, digits, `-`, `_` and `.` kept, other bytes as `%XX`.
    static func fileBase(_ id: String) -> String {
        "m-" + id.utf8.map { byte in
            let scalar = UnicodeScalar(byte)
            let keep = byte < 128 && (CharacterSet.alphanumerics.contains(scalar) || "-_.".unicodeScalars.contains(scalar))
            return keep ? String(scalar) : "%" + MIME.hex(UInt64(byte), width: 2)
        }.joined()
    }
}


extension Outbox {
    /// How long a message dropped by another process waits at most before the owner queues it.
    public static let incomingScanInterval: Duration = .seconds(15)

    /// Hands a message to the process that owns the outbox (the running collector) without taking its lock:
    /// written durably to `incoming/` (the `.eml`, then its entry); the owner moves it into its queue within
    /// `incomingScanInterval`. An id the owner has already queued or sent is discarded there.
    public static func drop(_ message: MailMessage, id: String, into directory: URL, now: Date = Date()) throws(MailError) {
        let recipients = try validate(message, id: id)
        let incoming = directory.appendingPathComponent("incoming")
        let temporary = incoming.appendingPathComponent(".tmp")
        do {
            try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw OutboxFiles.failure("cannot create \(temporary.path)", error)
        }
        let entry = OutboxEntry(id: id, subject: message.subject, from: message.from.address, to: recipients, enqueuedAt: now,
                                attempts: 0, nextAttemptAt: now)
        try OutboxFiles.write(MIME.render(message), to: incoming.appendingPathComponent(fileBase(id) + ".eml"), temporaryDirectory: temporary)
        try OutboxFiles.write(try encode(entry), to: incoming.appendingPathComponent(fileBase(id) + ".json"), temporaryDirectory: temporary)
    }

    /// The envelope's recipients of a message that may be queued under `id`.
    static func validate(_ message: MailMessage, id: String) throws(MailError) -> [String] {
        guard !id.isEmpty, id.utf8.count <= 180 else { throw MailError(.invalidMessage, "an outbox id must have 1 to 180 bytes") }
        let recipients = message.recipients
        guard !recipients.isEmpty else { throw MailError(.invalidMessage, "the message \(id) has no recipients") }
        if let bad = ([message.from.address] + recipients).first(where: { !MailAddress.isPlausible($0) }) {
            throw MailError(.invalidMessage, "the message \(id) has an unusable address: \(bad)")
        }
        return recipients
    }

    static func encode(_ record: some Encodable) throws(MailError) -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.outputFormatting = [.sortedKeys]
        do { return try encoder.encode(record) } catch { throw OutboxFiles.failure("cannot encode an outbox record", error) }
    }
}
