import Alerting
import Foundation
import ReadinessModel
import SansangAPI

/// Where the alert engine keeps its state, so that a restart neither repeats nor loses a notification:
/// alert instances, the notification log (a durable queue of notice groups per receiver) and silences.
public protocol AlertStore: Sendable {
    func alertInstances() async throws -> [AlertInstance]
    /// Applies one evaluation round in ONE transaction: instances written or removed, and notice groups queued. A
    /// group joins a queued, untried group with the same receiver and key whose wait has not ended; otherwise it
    /// is queued to leave after its wait.
    func commitAlertRound(upsert: [AlertInstance], remove: [AlertKey], groups: [NoticeGroup], now: Date) async throws
    /// Queued groups whose wait and retry time have passed, oldest first.
    func dueAlertNotifications(now: Date, limit: Int) async throws -> [QueuedNotification]
    func markAlertNotificationSent(id: Int64, at: Date) async throws
    /// Records a failed attempt; the group is tried again at `retryAt`.
    func deferAlertNotification(id: Int64, retryAt: Date, error: String) async throws
    /// The newest queued or sent groups, newest first.
    func alertNotificationLog(limit: Int) async throws -> [QueuedNotification]

    func insertSilence(_ silence: Silence) async throws
    /// Every silence not ended before `since`, by start.
    func silences(endingAfter since: Date) async throws -> [Silence]
    /// Ends a silence at `at` (if it ends later); false when there is no such silence.
    func expireSilence(id: String, at: Date) async throws -> Bool

    /// Service checks per service over `[from, to)` (by check time, counted per local day at ingest), all sites.
    func serviceTallies(from: Date, to: Date) async throws -> [ServiceTally]
    /// Every verdict transition up to `to`, by site, oldest first (for week-end figures).
    func allTransitions(upTo to: Date) async throws -> [String: [VerdictTransition]]
}

/// A notice group in the notification log.
public struct QueuedNotification: Sendable, Hashable {
    public var id: Int64
    public var group: NoticeGroup
    public var createdAt: Date
    public var dueAt: Date
    public var sentAt: Date?
    public var attempts: Int
    public var lastError: String?

    public init(id: Int64, group: NoticeGroup, createdAt: Date, dueAt: Date, sentAt: Date?, attempts: Int, lastError: String?) {
        self.id = id
        self.group = group
        self.createdAt = createdAt
        self.dueAt = dueAt
        self.sentAt = sentAt
        self.attempts = attempts
        self.lastError = lastError
    }
}
