import Alerting
import CollectorAlerts
import CollectorCore
import CollectorHTTP
import CollectorReports
import CollectorStore
import CollectorTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import Presentation
import ReadinessModel
import SansangAPI
import TestSupport
import Testing
@testable import CollectorDashboard

/// A collector on a temp SQLite file with the example inventory and the dashboard, served live on loopback; an admin
/// (tuan) and a read user (lan). bcrypt runs at its lowest cost here to keep the tests quick; the hashing itself is
/// the same code.
struct DashboardFixture {
    let collector: Collector
    let alerts: AlertEngine
    let sessions: SessionAuthority
    static let adminPassword = "mật khẩu quản trị"
    static let readPassword = "chỉ xem thôi 123"

    static func run(limits: LoginLimiter.Limits = .init(), idleTimeout: TimeInterval = 1800,
                    _ body: @Sendable (DashboardFixture, any TestClientProtocol) async throws -> Void) async throws {
        try await withTemporaryDirectory { dir in
            let registry = PrometheusCollectorRegistry()
            let collector = try await makeCollector(in: dir, metricsFactory: PrometheusMetricsFactory(registry: registry))
            var quiet = Logger(label: "test")
            quiet.logLevel = .warning
            let alerts = AlertEngine(collector: collector,
                                     configuration: try AlertConfiguration.load(path: packageRoot.appendingPathComponent("alerts").path),
                                     logger: quiet, metricsFactory: PrometheusMetricsFactory(registry: registry))
            try await collector.evaluateAll()
            let accounts = Accounts(store: collector.store, cost: 4)
            _ = try await accounts.add(name: "tuan", role: .admin, password: adminPassword)
            _ = try await accounts.add(name: "lan", role: .read, password: readPassword)
            let sessions = SessionAuthority(accounts: accounts, limiter: LoginLimiter(limits: limits), idleTimeout: idleTimeout)
            let reports = WeeklyReports(collector: collector, settings: .init())
            let dashboard = Dashboard(collector: collector, alerts: alerts, reports: reports, sessions: sessions)
            var configuration = CollectorConfiguration()
            configuration.listen.port = 0
            let app = try CollectorApp.application(collector: collector, configuration: configuration, registry: registry, alerts: alerts,
                                                   reports: reports, logger: quiet, extraRoutes: dashboard.install(on:))
            let fixture = DashboardFixture(collector: collector, alerts: alerts, sessions: sessions)
            try await app.test(.live) { client in try await body(fixture, client) }
        }
    }
}

func formBody(_ fields: [(String, String)]) -> ByteBuffer {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return ByteBuffer(string: fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.1)" }
        .joined(separator: "&"))
}

let formHeaders: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

/// Logs in as a browser does (the form first, for its CSRF token and cookie) and returns the session cookie
/// ("sansang_session=…") and the response.
func logIn(_ client: any TestClientProtocol, _ name: String, _ password: String) async throws -> (cookie: String?, response: TestResponse) {
    let form = try await loginForm(client)
    let response = try await postLogin(client, [("name", name), ("password", password), ("next", "/sites"), ("csrf", form.token ?? "")],
                                       cookie: form.cookie)
    let cookie = response.headers[.setCookie]?.split(separator: ";").first.map(String.init)
    return (response.status == .seeOther ? cookie : nil, response)
}

/// The login form's CSRF token and the cookie ("sansang_login=…") it came with.
func loginForm(_ client: any TestClientProtocol) async throws -> (token: String?, cookie: String?) {
    let form = try await page(client, "/login", cookie: nil)
    return (csrfToken(text(form)), form.headers[.setCookie]?.split(separator: ";").first.map(String.init))
}

func postLogin(_ client: any TestClientProtocol, _ fields: [(String, String)], cookie: String?) async throws -> TestResponse {
    var headers = formHeaders
    if let cookie { headers[.cookie] = cookie }
    return try await client.execute(uri: "/login", method: .post, headers: headers, body: formBody(fields))
}

func page(_ client: any TestClientProtocol, _ uri: String, cookie: String?) async throws -> TestResponse {
    var headers: HTTPFields = [:]
    if let cookie { headers[.cookie] = cookie }
    return try await client.execute(uri: uri, method: .get, headers: headers)
}

func text(_ response: TestResponse) -> String { String(buffer: response.body) }

/// The CSRF token of the page's first form.
func csrfToken(_ html: String) -> String? {
    guard let range = html.range(of: "name=\"csrf\" value=\"") else { return nil }
    return String(html[range.upperBound...].prefix { $0 != "\"" })
}

@Suite struct DashboardHTTPTests {
    @Test func pagesNeedALoginAndTheCookieIsHttpOnlyAndStrict() async throws {
        try await DashboardFixture.run { _, client in
            let anonymous = try await page(client, "/sites?q=hai", cookie: nil)
            #expect(anonymous.status == .seeOther)
            #expect(anonymous.headers[.location] == "/login?next=%2Fsites%3Fq%3Dhai")
            let form = try await page(client, "/login", cookie: nil)
            #expect(form.status == .ok)
            #expect(text(form).contains("<html lang=\"vi\">"))
            #expect(text(form).contains(">Bỏ qua, tới nội dung</a>"), "the layout's own texts are there")
            #expect(text(form).contains("hreflang=\"en\">English</a>"))

            let wrong = try await logIn(client, "tuan", "not the password")
            #expect(wrong.response.status == .unauthorized)
            #expect(text(wrong.response).contains("Sai tên người dùng hoặc mật khẩu."))
            let (cookie, response) = try await logIn(client, "tuan", DashboardFixture.adminPassword)
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/sites")
            let setCookie = try #require(response.headers[.setCookie])
            #expect(setCookie.contains("HttpOnly"))
            #expect(setCookie.contains("SameSite=Strict"))
            #expect(!setCookie.contains("Secure"), "plain HTTP here; Secure is set when the collector serves HTTPS")
            let overview = try await page(client, "/", cookie: cookie)
            #expect(overview.status == .ok)
            #expect(text(overview).contains("tuan"))
        }
    }

    @Test func overviewFiguresAreTheAPIsAndHeadersAreStrict() async throws {
        try await DashboardFixture.run { fixture, client in
            let (cookie, _) = try await logIn(client, "lan", DashboardFixture.readPassword)
            let overview = try await page(client, "/?lang=en", cookie: cookie)
            let readiness = try await fixture.collector.readiness(groupBy: nil)
            #expect(text(overview).contains("id=\"province-ready\">\(readiness.overall.ready)/\(readiness.overall.total)</span>"))
            #expect(text(overview).contains("<html lang=\"en\">"))
            let csp = overview.headers[HTTPField.Name("Content-Security-Policy")!] ?? ""
            #expect(csp.contains("script-src 'self'"))
            #expect(csp.contains("frame-ancestors 'none'"))
            #expect(!csp.contains("unsafe-inline"))
            #expect(overview.headers[.xContentTypeOptions] == "nosniff")
            #expect(overview.headers[values: .setCookie].contains { $0.hasPrefix("sansang_lang=en;") })
            // The language cookie is kept: the next page is English without ?lang.
            let sites = try await page(client, "/sites?q=hai%20chau", cookie: (cookie ?? "") + "; sansang_lang=en")
            #expect(text(sites).contains("<html lang=\"en\">"))
            #expect(text(sites).contains("/sites/\(ExampleSite.haiChau)"))
            // Assets: hashed names, cached for a year.
            let css = try await page(client, Asset.stylesheet.path, cookie: nil)
            #expect(css.status == .ok)
            #expect(css.headers[.cacheControl] == "public, max-age=31536000, immutable")
            let site = try await page(client, "/sites/\(ExampleSite.haiChau)", cookie: cookie)
            #expect(site.status == .ok)
            #expect(try await page(client, "/sites/nowhere", cookie: cookie).status == .notFound)
        }
    }

    /// The overview's body is made once per verdict version and shared: a verdict change shows at the next request
    /// (not a minute later), each viewer still sees their own name, and each language its own words.
    @Test func theSharedOverviewFollowsAVerdictChangeAtOnceAndKeepsTheViewersOwn() async throws {
        try await DashboardFixture.run { fixture, client in
            let (reader, _) = try await logIn(client, "lan", DashboardFixture.readPassword)
            let (admin, _) = try await logIn(client, "tuan", DashboardFixture.adminPassword)
            func figure(_ cookie: String?, _ uri: String = "/") async throws -> (String, String) {
                let html = text(try await page(client, uri, cookie: cookie))
                let start = try #require(html.range(of: "id=\"province-ready\">"))
                return (String(html[start.upperBound...].prefix { $0 != "<" }), html)
            }
            let before = try await fixture.collector.readiness(groupBy: nil).overall
            let (shownBefore, _) = try await figure(reader)
            #expect(shownBefore == "\(before.ready)/\(before.total)")

            let inventory = fixture.collector.inventory
            _ = try await fixture.collector.ingest(ReportBatch(reports: [readyReport(inventory, site: ExampleSite.haiChau, seq: 1, at: Date())]),
                                                   from: .site(ExampleSite.haiChau))
            let after = try await fixture.collector.readiness(groupBy: nil).overall
            #expect(after.ready == before.ready + 1, "the report made one more office ready")
            let (shownToReader, readerPage) = try await figure(reader)
            let (shownToAdmin, adminPage) = try await figure(admin)
            #expect(shownToReader == "\(after.ready)/\(after.total)")
            #expect(shownToAdmin == shownToReader)
            #expect(readerPage.contains("<span>lan · read</span>") && !readerPage.contains("tuan"))
            #expect(adminPage.contains("<span>tuan · admin</span>"))
            #expect(csrfToken(readerPage) != csrfToken(adminPage), "each viewer's logout form has their own token")
            let (_, english) = try await figure(reader, "/?lang=en")
            let (_, vietnamese) = try await figure(reader, "/?lang=vi")
            #expect(english.contains(DashboardWording.text("trend", .en)))
            #expect(vietnamese.contains(DashboardWording.text("trend", .vi)))
        }
    }

    @Test func csvAndTheWeeklyArchive() async throws {
        try await DashboardFixture.run { _, client in
            let (cookie, _) = try await logIn(client, "lan", DashboardFixture.readPassword)
            let csv = try await page(client, "/sites.csv?q=hai%20chau", cookie: cookie)
            #expect(csv.status == .ok)
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(text(csv).hasPrefix("code,name,type,province,former_district"))
            #expect(text(csv).contains(ExampleSite.haiChau))
            let list = text(try await page(client, "/reports/weekly", cookie: cookie))
            let week = try #require(list.range(of: "href=\"/reports/weekly/").map { String(list[$0.upperBound...].prefix { $0 != "\"" }) })
            let mail = try await page(client, "/reports/weekly/\(week)", cookie: cookie)
            #expect(mail.status == .ok)
            #expect(text(mail).contains("<html"))
            let policy = mail.headers[HTTPField.Name("Content-Security-Policy")!] ?? ""
            #expect(policy.contains("style-src 'unsafe-inline'") && !policy.contains("script-src"), "\(policy)")
            let weekCSV = try await page(client, "/reports/weekly/\(week).csv", cookie: cookie)
            #expect(weekCSV.status == .ok)
            #expect(weekCSV.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(try await page(client, "/reports/weekly/2026-W99", cookie: cookie).status == .notFound)
        }
    }

    @Test func silencesNeedTheAdminRoleAndTheCSRFToken() async throws {
        try await DashboardFixture.run { fixture, client in
            let (admin, _) = try await logIn(client, "tuan", DashboardFixture.adminPassword)
            let form = text(try await page(client, "/silences", cookie: admin))
            let token = try #require(csrfToken(form))
            #expect(form.contains("action=\"/silences\""))
            let fields = [("site", ExampleSite.haiChau), ("rule", ""), ("hours", "2"), ("comment", "bảo trì")]
            var headers = formHeaders
            headers[.cookie] = admin
            let missing = try await client.execute(uri: "/silences", method: .post, headers: headers, body: formBody(fields))
            #expect(missing.status == .forbidden)
            let forged = try await client.execute(uri: "/silences", method: .post, headers: headers, body: formBody(fields + [("csrf", "x" + token)]))
            #expect(forged.status == .forbidden)
            #expect(try await fixture.alerts.silences().isEmpty)
            let added = try await client.execute(uri: "/silences", method: .post, headers: headers, body: formBody(fields + [("csrf", token)]))
            #expect(added.status == .seeOther)
            let silence = try #require(try await fixture.alerts.silences().first)
            #expect(silence.site == ExampleSite.haiChau)
            #expect(silence.author == "tuan")

            // A read user sees the silence but has no form, and a forged post is refused.
            let (reader, _) = try await logIn(client, "lan", DashboardFixture.readPassword)
            let readPage = text(try await page(client, "/silences", cookie: reader))
            #expect(readPage.contains("bảo trì"))
            #expect(!readPage.contains("action=\"/silences\""))
            let readToken = try #require(csrfToken(readPage))
            headers[.cookie] = reader
            let refused = try await client.execute(uri: "/silences/\(silence.id)/expire", method: .post, headers: headers,
                                                   body: formBody([("csrf", readToken)]))
            #expect(refused.status == .forbidden)
            #expect(try await fixture.alerts.silences().count == 1)

            headers[.cookie] = admin
            let expired = try await client.execute(uri: "/silences/\(silence.id)/expire", method: .post, headers: headers,
                                                   body: formBody([("csrf", token)]))
            #expect(expired.status == .seeOther)
            #expect(try await fixture.alerts.silences().isEmpty)
        }
    }

    @Test func logoutEndsTheSessionAndIdleSessionsEnd() async throws {
        try await DashboardFixture.run { fixture, client in
            let (cookie, _) = try await logIn(client, "lan", DashboardFixture.readPassword)
            let html = text(try await page(client, "/", cookie: cookie))
            let token = try #require(csrfToken(html))
            var headers = formHeaders
            headers[.cookie] = cookie
            let out = try await client.execute(uri: "/logout", method: .post, headers: headers, body: formBody([("csrf", token)]))
            #expect(out.status == .seeOther)
            #expect(out.headers[.setCookie]?.contains("Max-Age=0") == true)
            #expect(try await page(client, "/", cookie: cookie).status == .seeOther)

            // Idle timeout: a session unused for longer than the timeout is gone.
            guard case .success(let id, _) = try await fixture.sessions.login(name: "lan", password: DashboardFixture.readPassword,
                                                                              address: "127.0.0.1") else {
                Issue.record("login failed")
                return
            }
            #expect(try await fixture.sessions.viewer(sessionID: id) != nil)
            #expect(try await fixture.sessions.viewer(sessionID: id, now: Date().addingTimeInterval(1801)) == nil)
            #expect(try await fixture.sessions.viewer(sessionID: id) == nil, "an ended session does not come back")
            // Idle sessions nobody comes back to are removed at the next login.
            guard case .success(let idle, _) = try await fixture.sessions.login(name: "lan", password: DashboardFixture.readPassword,
                                                                                address: "127.0.0.1") else {
                Issue.record("login failed")
                return
            }
            _ = try await fixture.sessions.login(name: "tuan", password: DashboardFixture.adminPassword, address: "127.0.0.1",
                                                 now: Date().addingTimeInterval(1801))
            #expect(try await fixture.collector.store.session(idHash: SessionAuthority.sha256(idle)) == nil)
        }
    }

    @Test func theLoginFormHasACSRFTokenOfItsOwn() async throws {
        try await DashboardFixture.run { fixture, client in
            let form = try await page(client, "/login", cookie: nil)
            let setCookie = try #require(form.headers[.setCookie])
            #expect(setCookie.hasPrefix("sansang_login="))
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/login"))
            let token = try #require(csrfToken(text(form)), "the login form carries a csrf field")
            let cookie = try #require(setCookie.split(separator: ";").first.map(String.init))
            let password = DashboardFixture.adminPassword
            func refused(_ response: TestResponse) -> Bool {
                response.status == .forbidden && text(response).contains("Biểu mẫu đã hết hạn")
                    && response.headers[.setCookie]?.hasPrefix("sansang_session=") != true
            }

            // The right password is not enough: a post from another site has neither the token nor the cookie…
            #expect(refused(try await postLogin(client, [("name", "tuan"), ("password", password)], cookie: nil)))
            // …a token without its cookie, a cookie without its token, a token made up, or a token of another form's cookie.
            #expect(refused(try await postLogin(client, [("name", "tuan"), ("password", password), ("csrf", token)], cookie: nil)))
            #expect(refused(try await postLogin(client, [("name", "tuan"), ("password", password)], cookie: cookie)))
            #expect(refused(try await postLogin(client, [("name", "tuan"), ("password", password), ("csrf", "forged-token")],
                                                cookie: cookie)))
            let other = try await loginForm(client)
            #expect(other.cookie != cookie && other.token != token, "each form gets its own nonce and token")
            #expect(refused(try await postLogin(client, [("name", "tuan"), ("password", password), ("csrf", token)],
                                                cookie: other.cookie)))
            // A refused form is no login attempt: the limiter has counted none.
            #expect(fixture.sessions.limiter.allows(user: "tuan", address: "127.0.0.1", now: Date()))

            // The refusal shows the form again with a fresh pair, which works; so does the first pair.
            let again = try await postLogin(client, [("name", "tuan"), ("password", password)], cookie: nil)
            let fresh = (token: csrfToken(text(again)), cookie: again.headers[.setCookie]?.split(separator: ";").first.map(String.init))
            let accepted = try await postLogin(client, [("name", "tuan"), ("password", password), ("csrf", fresh.token ?? "")],
                                               cookie: fresh.cookie)
            #expect(accepted.status == .seeOther)
            #expect(accepted.headers[.setCookie]?.hasPrefix("sansang_session=") == true)
            let first = try await postLogin(client, [("name", "tuan"), ("password", password), ("csrf", token)], cookie: cookie)
            #expect(first.status == .seeOther)
        }
    }

    @Test func loginAttemptsAreLimitedPerUserAndPerAddress() async throws {
        try await DashboardFixture.run(limits: .init(perUser: 3, perAddress: 5, window: 600)) { fixture, client in
            for _ in 0..<3 {
                #expect(try await logIn(client, "tuan", "wrong password").response.status == .unauthorized)
            }
            // The right password no longer helps for this name…
            let limited = try await logIn(client, "tuan", DashboardFixture.adminPassword)
            #expect(limited.response.status == .tooManyRequests)
            #expect(limited.cookie == nil)
            // …another name from the same address still logs in, until the address's limit.
            #expect(try await logIn(client, "lan", DashboardFixture.readPassword).cookie != nil)
            for _ in 0..<2 {
                #expect(try await logIn(client, "nobody", "wrong password").response.status == .unauthorized)
            }
            #expect(try await logIn(client, "lan", DashboardFixture.readPassword).response.status == .tooManyRequests)
            // The window passes.
            let later = Date().addingTimeInterval(601)
            #expect(fixture.sessions.limiter.allows(user: "tuan", address: "127.0.0.1", now: later))
        }
    }

    @Test func disabledUsersCannotLogIn() async throws {
        try await DashboardFixture.run { fixture, client in
            let (cookie, _) = try await logIn(client, "lan", DashboardFixture.readPassword)
            try await fixture.sessions.accounts.disable(name: "lan")
            #expect(try await page(client, "/", cookie: cookie).status == .seeOther)
            #expect(try await logIn(client, "lan", DashboardFixture.readPassword).response.status == .unauthorized)
            try await fixture.sessions.accounts.setPassword(name: "lan", password: "một mật khẩu mới")
            #expect(try await logIn(client, "lan", "một mật khẩu mới").cookie != nil)
            await #expect(throws: CollectorError.self) { try await fixture.sessions.accounts.setPassword(name: "lan", password: "short") }
        }
    }
}
