import Foundation
@testable import Mail
import Testing
import TestSupport

/// The outbox's files alone: idempotent enqueue, recovery from damaged files, pruning of sent records.
struct OutboxTests {
    @Test func enqueueOfAnIDAlreadyQueuedReturnsFalseAndWritesNothing() async throws {
        try await withTemporaryDirectory { directory in
            let outbox = try Outbox(directory: directory)
            #expect(try await outbox.enqueue(reportMessage(), id: "alert/20242#1"))
            #expect(try await outbox.enqueue(reportMessage(subject: "khác"), id: "alert/20242#1") == false)
            let pending = await outbox.pending()
            #expect(pending.map(\.id) == ["alert/20242#1"])
            #expect(pending[0].subject == "Báo cáo tuần 48: 78/93 điểm sẵn sàng")
            #expect(pending[0].to == ["lanhdao@danang.gov.vn"] && pending[0].attempts == 0)
            let files = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("queue").path)
            #expect(files.sorted() == ["m-alert%2F20242%231.eml", "m-alert%2F20242%231.json"])
        }
    }

    @Test func aMessageWithoutRecipientsIsRefused() async throws {
        try await withTemporaryDirectory { directory in
            let outbox = try Outbox(directory: directory)
            let error = try await #require(throws: MailError.self) { try await outbox.enqueue(reportMessage(to: []), id: "x") }
            #expect(error.code == .invalidMessage)
        }
    }

    @Test func damagedFilesAreMovedToBadAndCountedAndTheRestIsKept() async throws {
        try await withTemporaryDirectory { directory in
            do {
                let outbox = try Outbox(directory: directory)
                _ = try await outbox.enqueue(reportMessage(), id: "good")
                _ = try await outbox.enqueue(reportMessage(), id: "torn")
                _ = try await outbox.enqueue(reportMessage(), id: "no-eml")
            }
            let queue = directory.appendingPathComponent("queue")
            try Data("{\"id\":\"torn\",\"subj".utf8).write(to: queue.appendingPathComponent("m-torn.json"))
            try FileManager.default.removeItem(at: queue.appendingPathComponent("m-no-eml.eml"))
            try Data("From: x".utf8).write(to: queue.appendingPathComponent("m-orphan.eml"))  // an enqueue cut short

            let reopened = try Outbox(directory: directory)
            #expect(await reopened.pending().map(\.id) == ["good"])
            #expect(await reopened.badFiles == 2)
            let bad = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("bad").path)
            #expect(bad.count == 3)  // torn .json and .eml, no-eml .json
            #expect(!FileManager.default.fileExists(atPath: queue.appendingPathComponent("m-orphan.eml").path))
        }
    }

    @Test func aMessageDroppedByAnotherProcessIsQueuedOnceByTheOwner() async throws {
        try await withTemporaryDirectory { directory in
            let owner = try Outbox(directory: directory)
            // A second opener (another process) cannot take the lock, but can drop.
            let error = try #require(throws: MailError.self) { try Outbox(directory: directory) }
            #expect(error.code == .storage)
            try Outbox.drop(reportMessage(), id: "weekly-2026-W48", into: directory)
            try Outbox.drop(reportMessage(), id: "weekly-2026-W48", into: directory)  // the timer ran twice
            #expect(await owner.pending().isEmpty, "queued only when the owner scans incoming/")
            try await owner.importIncoming()
            #expect(await owner.pending().map(\.id) == ["weekly-2026-W48"])
            try Outbox.drop(reportMessage(), id: "weekly-2026-W48", into: directory)
            try await owner.importIncoming()
            #expect(await owner.pending().count == 1, "an id already queued is discarded")
            let incoming = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("incoming").path)
            #expect(incoming.filter { !$0.hasPrefix(".") }.isEmpty)
        }
    }
}
