/// The PostgreSQL schema: the same migrations, under the same names and in the same order, as the SQLite store's
/// (`SQLiteStore.migrator`), so that one version number means one schema on both back ends. Dates are Unix seconds
/// (`DOUBLE PRECISION`, as SQLite's REAL), JSON documents `BYTEA` (as SQLite's BLOB), integers `BIGINT`.
enum PostgresSchema {
    /// Each migration: its identifier and its statements (run one by one, in one transaction).
    static let migrations: [(identifier: String, statements: [String])] = [
        ("v1-reports-verdicts-series-tokens", [
            """
            CREATE TABLE report (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                site TEXT NOT NULL, boot_id TEXT NOT NULL, seq BIGINT NOT NULL,
                generated_at DOUBLE PRECISION NOT NULL, received_at DOUBLE PRECISION NOT NULL, json BYTEA NOT NULL,
                UNIQUE (site, boot_id, seq))
            """,
            "CREATE INDEX report_received ON report (received_at)",
            """
            CREATE TABLE latest_report (
                site TEXT PRIMARY KEY, boot_id TEXT NOT NULL, seq BIGINT NOT NULL,
                generated_at DOUBLE PRECISION NOT NULL, received_at DOUBLE PRECISION NOT NULL, json BYTEA NOT NULL)
            """,
            """
            CREATE TABLE verdict (
                site TEXT PRIMARY KEY, state TEXT NOT NULL, evaluated_at DOUBLE PRECISION NOT NULL, json BYTEA NOT NULL)
            """,
            """
            CREATE TABLE transition (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, site TEXT NOT NULL, at DOUBLE PRECISION NOT NULL,
                from_state TEXT, to_state TEXT NOT NULL, reasons BYTEA NOT NULL)
            """,
            "CREATE INDEX transition_site_at ON transition (site, at)",
            """
            CREATE TABLE point (
                site TEXT NOT NULL, at DOUBLE PRECISION NOT NULL, series TEXT NOT NULL, value DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (site, series, at))
            """,
            "CREATE INDEX point_at ON point (at)",
            """
            CREATE TABLE gap (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, site TEXT NOT NULL, boot_id TEXT NOT NULL,
                seq BIGINT NOT NULL, count BIGINT NOT NULL, first_seq BIGINT NOT NULL, last_seq BIGINT NOT NULL,
                from_at DOUBLE PRECISION NOT NULL, to_at DOUBLE PRECISION NOT NULL, received_at DOUBLE PRECISION NOT NULL)
            """,
            "CREATE INDEX gap_site ON gap (site, received_at)",
            """
            CREATE TABLE token (
                id TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('site', 'noc')), site TEXT,
                name TEXT NOT NULL, role TEXT CHECK (role IN ('read', 'admin')), sha256 TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL, revoked_at DOUBLE PRECISION)
            """,
        ]),
        ("v2-gap-lost-boot", ["ALTER TABLE gap ADD COLUMN lost_boot_id TEXT"]),
        ("v3-snmp-notifications", [
            """
            CREATE TABLE notification (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, site TEXT NOT NULL,
                received_at DOUBLE PRECISION NOT NULL, json BYTEA NOT NULL)
            """,
            "CREATE INDEX notification_site ON notification (site, received_at)",
        ]),
        ("v4-alerts-silences-service-days", [
            """
            CREATE TABLE alert_instance (
                rule TEXT NOT NULL, site TEXT NOT NULL, state TEXT NOT NULL, json BYTEA NOT NULL, PRIMARY KEY (rule, site))
            """,
            """
            CREATE TABLE alert_notification (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, receiver TEXT NOT NULL, group_key TEXT NOT NULL,
                json BYTEA NOT NULL, created_at DOUBLE PRECISION NOT NULL, due_at DOUBLE PRECISION NOT NULL,
                retry_at DOUBLE PRECISION NOT NULL, sent_at DOUBLE PRECISION, attempts BIGINT NOT NULL DEFAULT 0,
                last_error TEXT)
            """,
            "CREATE INDEX alert_notification_queue ON alert_notification (sent_at, retry_at)",
            """
            CREATE TABLE silence (
                id TEXT PRIMARY KEY, starts_at DOUBLE PRECISION NOT NULL, ends_at DOUBLE PRECISION NOT NULL,
                json BYTEA NOT NULL)
            """,
            """
            CREATE TABLE service_day (
                service TEXT NOT NULL, day BIGINT NOT NULL, site TEXT NOT NULL, ok BIGINT NOT NULL, total BIGINT NOT NULL,
                last_checked_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (service, day, site))
            """,
        ]),
        ("v5-enrolment-codes", [
            """
            CREATE TABLE enrolment_code (
                sha256 TEXT PRIMARY KEY, site TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
                expires_at DOUBLE PRECISION NOT NULL, used_at DOUBLE PRECISION)
            """,
        ]),
        ("v6-report-digest", ["ALTER TABLE report ADD COLUMN digest TEXT"]),
        ("v7-notification-key", [
            "ALTER TABLE notification ADD COLUMN boot_id TEXT",
            "ALTER TABLE notification ADD COLUMN report_seq BIGINT",
            "ALTER TABLE notification ADD COLUMN kind TEXT",
            "CREATE UNIQUE INDEX notification_key ON notification (site, boot_id, report_seq, kind)",
        ]),
        // "user" is a reserved word in PostgreSQL: the session's user column is quoted.
        ("v8-dashboard-users-sessions", [
            """
            CREATE TABLE dashboard_user (
                name TEXT PRIMARY KEY, role TEXT NOT NULL CHECK (role IN ('read', 'admin')),
                password_hash TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL, disabled_at DOUBLE PRECISION)
            """,
            """
            CREATE TABLE dashboard_session (
                id_hash TEXT PRIMARY KEY, "user" TEXT NOT NULL REFERENCES dashboard_user (name) ON DELETE CASCADE,
                csrf_token TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL, last_seen_at DOUBLE PRECISION NOT NULL)
            """,
            #"CREATE INDEX dashboard_session_user ON dashboard_session ("user")"#,
        ]),
        // Compact verdict columns (incremental evaluation): existing verdicts get their reason keys from their JSON (as
        // `ReasonKeyList.encode` writes them) and are due at once, so the next evaluation round sets their recheck time.
        ("v9-verdict-columns", [
            "ALTER TABLE verdict ADD COLUMN reason_keys TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE verdict ADD COLUMN revision BIGINT NOT NULL DEFAULT 1",
            "ALTER TABLE verdict ADD COLUMN recheck_at DOUBLE PRECISION",
            "CREATE INDEX verdict_recheck ON verdict (recheck_at) WHERE recheck_at IS NOT NULL",
            """
            UPDATE verdict SET recheck_at = 0, reason_keys = COALESCE((
                SELECT string_agg(CASE WHEN reason->>'subject' IS NULL THEN reason->>'code'
                                       ELSE (reason->>'code') || ':' || (reason->>'subject') END, E'\\n' ORDER BY position)
                FROM jsonb_array_elements(convert_from(json, 'UTF8')::jsonb -> 'reasons') WITH ORDINALITY AS r(reason, position)
            ), '')
            """,
        ]),
        ("v10-mail-claims", ["CREATE TABLE mail_claim (id TEXT PRIMARY KEY, claimed_at DOUBLE PRECISION NOT NULL)"]),
        // Transitions by time, for reads bounded by a window (the dashboard's trend) instead of all history.
        ("v11-transition-at", ["CREATE INDEX transition_at ON transition (at)"]),
    ]

    /// The table of applied migrations (GRDB's `grdb_migrations` on SQLite).
    static let migrationsTable = """
        CREATE TABLE IF NOT EXISTS sansang_migrations (
            identifier TEXT PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)
        """

    /// The advisory lock key held (per transaction) while migrating: "sansang" + 1.
    static let migrationLock: Int64 = 0x73616E73616E6701
    /// The advisory lock key of the alert leader (per session, on its own connection): "sansang" + 2.
    static let leaderLock: Int64 = 0x73616E73616E6702
    /// The advisory lock key held (per transaction) while inserting transitions, so ids commit in order: "sansang" + 3.
    static let transitionLock: Int64 = 0x73616E73616E6703
}
