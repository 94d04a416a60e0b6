import Presentation

/// The names of the weekly report's files, in the report's language, so that the mail's attachments, the
/// files written by `--out` and the sentence that names the CSV all agree.
public enum WeeklyReportFiles {
    /// The site table: `danh-sach-diem-2026-W49.csv`, `sites-2026-W49.csv` in English.
    public static func csvName(week: ISOWeek, language: Language) -> String {
        language.pick("danh-sach-diem-\(week).csv", "sites-\(week).csv")
    }

    /// The chart: `bieu-do-2026-W49.png`, `chart-2026-W49.png` in English.
    public static func chartName(week: ISOWeek, language: Language) -> String {
        language.pick("bieu-do-\(week).png", "chart-\(week).png")
    }

    /// The chart's Content-ID in mail (RFC 2392: `id-left@id-right`), referenced as `cid:` + this.
    public static func chartContentID(week: ISOWeek) -> String { "chart-\(week)@sansang" }
}
