import CollectorAlerts
import CollectorCore
import CollectorHTTP
import CollectorReports
import CollectorStore
import CompressNIO
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Mustache
import Presentation
import ReadinessModel
import SansangAPI
import ServiceLifecycle
import WeeklyReport
import WeeklyReportChart

/// The NOC dashboard served by the collector (docs/dashboard.md): HTML pages made on the server, a login with
/// sessions, live updates over Server-Sent Events. Mounted on the collector's router by `install(on:)`.
public struct Dashboard: Sendable {
    public struct Settings: Sendable, Hashable {
        /// `Secure` on cookies: set when the collector serves HTTPS.
        public var secureCookies = false
        /// How often `/events` looks for a new verdict change.
        public var eventPoll: Duration = .milliseconds(500)
        /// An `/events` stream ends after this long; the browser reconnects by itself.
        public var eventStreamLifetime: Duration = .seconds(300)
        /// The offices' clock every page shows times in (the collector's `office_time_zone:`).
        public var officeTimeZone = OfficeTime.zone

        public init(secureCookies: Bool = false, officeTimeZone: TimeZone = OfficeTime.zone) {
            self.secureCookies = secureCookies
            self.officeTimeZone = officeTimeZone
        }
    }

    public let collector: Collector
    public let alerts: AlertEngine?
    public let reports: WeeklyReports?
    public let sessions: SessionAuthority
    public let settings: Settings
    /// The login form's own CSRF tokens (no session exists yet to hold one).
    public let loginForms: LoginFormTokens
    /// The overview's body as of the newest verdicts, shared by every viewer.
    let overviewBodies = OverviewBodies()
    /// The overview's district tiles, each rendered once per distinct count.
    let tileFragments = TileFragments()

    public init(collector: Collector, alerts: AlertEngine?, reports: WeeklyReports?, sessions: SessionAuthority,
                settings: Settings = Settings(), loginForms: LoginFormTokens = LoginFormTokens()) {
        self.collector = collector
        self.alerts = alerts
        self.reports = reports
        self.sessions = sessions
        self.settings = settings
        self.loginForms = loginForms
    }

    static let sessionCookie = "sansang_session"
    static let languageCookie = "sansang_lang"

    /// Adds the pages, the login, `/events` and the assets to the collector's router.
    public func install(on router: Router<CollectorRequestContext>) {
        let pages = router.group().add(middleware: PageMiddleware(settings: settings))
        pages.get("/login", use: loginForm)
        pages.post("/login", use: login)
        pages.post("/logout", use: logout)
        pages.get("/", use: overview)
        pages.get("/sites", use: siteList)
        pages.get("/sites.csv", use: siteCSV)
        pages.get("/sites/:code", use: site)
        pages.get("/alerts", use: alertList)
        pages.get("/silences", use: silenceList)
        pages.post("/silences", use: addSilence)
        pages.post("/silences/:id/expire", use: expireSilence)
        pages.get("/reports/weekly", use: weeklyList)
        pages.get("/reports/weekly/:week", use: weeklyReport)
        pages.get("/events", use: events)
        for asset in Asset.all {
            pages.get(RouterPath(asset.path)) { _, _ in
                Response(status: .ok, headers: [.contentType: asset.contentType, .cacheControl: "public, max-age=31536000, immutable"],
                         body: .init(byteBuffer: ByteBuffer(string: asset.body)))
            }
        }
    }

    // MARK: Login

    @Sendable func loginForm(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        let page = PageRequest(request)
        let message = page.query["bye"] != nil ? page.words("loggedOut") : page.query["ended"] != nil ? page.words("sessionEnded") : nil
        return try loginPage(page, next: Self.localPath(page.query["next"]), name: "", message: message, status: .ok)
    }

    /// The login form with a fresh CSRF token, and the cookie that goes with it.
    private func loginPage(_ page: PageRequest, next: String, name: String, message: String?, status: HTTPResponse.Status) throws
        -> Response {
        let (nonce, token) = loginForms.issue()
        var response = try render(page, "login", LoginModel(next: next, name: name, message: message, csrf: token),
                                  title: page.words("login"), viewer: nil)
        response.status = status
        response.headers[.setCookie] = loginForms.cookie(nonce, secure: settings.secureCookies)
        return response
    }

    @Sendable func login(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        let page = PageRequest(request)
        let form = try await Self.form(request)
        let name = form["name"] ?? ""
        let next = Self.localPath(form["next"])
        // Before the password is looked at: a forged or stale form is no login attempt.
        guard loginForms.accepts(token: form["csrf"], nonce: page.cookies[LoginFormTokens.cookie]) else {
            return try loginPage(page, next: next, name: name, message: page.words("csrfFailed"), status: .forbidden)
        }
        let outcome = try await collector.storage("logging in") {
            try await sessions.login(name: name, password: form["password"] ?? "", address: context.remoteAddress)
        }
        switch outcome {
        case .success(let id, let viewer):
            context.caller.name = "dashboard \(viewer.name)"
            var cookie = "\(Self.sessionCookie)=\(id); Path=/; HttpOnly; SameSite=Strict"
            if settings.secureCookies { cookie += "; Secure" }
            return Response(status: .seeOther, headers: [.location: next, .setCookie: cookie])
        case .wrongCredentials, .limited:
            let limited = outcome == .limited
            return try loginPage(page, next: next, name: name, message: page.words(limited ? "loginLimited" : "loginFailed"),
                                 status: limited ? .tooManyRequests : .unauthorized)
        }
    }

    @Sendable func logout(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        let id = PageRequest(request).cookies[Self.sessionCookie]
        if let viewer = try await collector.storage("reading the session", { try await sessions.viewer(sessionID: id) }) {
            try Self.checkCSRF(try await Self.form(request), viewer)
            try await collector.storage("ending the session") { try await sessions.logout(sessionID: id) }
        }
        var cookie = "\(Self.sessionCookie)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
        if settings.secureCookies { cookie += "; Secure" }
        return Response(status: .seeOther, headers: [.location: "/login?bye=1", .setCookie: cookie])
    }

    // MARK: Pages

    @Sendable func overview(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        let (page, viewer) = try await authenticate(request, context)
        let body = try await overviewBody(language: page.language)
        let html = PageRenderer.layout(page: page, body: body, title: page.words("overview"), viewer: viewer, live: true, nav: "/")
        return PageRenderer.response(html, request: page)
    }

    /// The overview's body as of now: the shared one of the current version, made first when there is none.
    func overviewBody(language: Language) async throws -> String {
        let collector = self.collector, timeZone = settings.officeTimeZone, tiles = tileFragments
        let now = Date()
        let (inventory, generation) = collector.inventoryVersion
        let transitionID = try await collector.storage("reading transitions") { try await collector.store.latestTransitionID() }
        let version = OverviewBodies.Version(transitionID: transitionID, inventoryGeneration: generation,
                                             minute: Int64(now.timeIntervalSince1970 / 60), language: language)
        return try await overviewBodies.body(version) {
            let store = collector.store
            // State and reason keys are all the overview's roll-up counts: the compact, cached summaries.
            let verdicts = try await collector.storage("reading verdicts") { try await collector.verdictSummaries() }
            let recent = try await collector.storage("reading transitions") { try await store.recentTransitions(limit: 15) }
            // The trend's window only: each office's state at its start is the state its first transition in the
            // window left, or else its current one (a transition is recorded whenever the state changes).
            let since = now.addingTimeInterval(-Double(OverviewModel.trendDays - 1) * 86400 - 1)
            let changes = try await collector.storage("reading transitions") { try await store.stateChanges(from: since, to: now) }
            let sites = inventory.sites
            let history = OverviewModel.history(sites: sites, current: verdicts, changes: changes, since: since)
            let model = OverviewModel(sites: sites, verdicts: verdicts, recent: recent, history: history, now: now,
                                      language: language, timeZone: timeZone)
            return PageRenderer.body(language: language, template: "overview", model: model, csrfToken: nil,
                                     html: ["tilesHTML": tiles.html(model.districts)])
        }
    }

    @Sendable func siteList(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        let (page, viewer) = try await authenticate(request, context)
        let query = try SiteQuery(page.query)
        let (verdicts, received) = try await siteData()
        let model = SiteListModel(query: query, sites: collector.inventory.sites, verdicts: verdicts, lastReports: received,
                                  language: page.language, timeZone: settings.officeTimeZone)
        return try render(page, "sites", model, title: page.words("sites"), viewer: viewer, live: true, nav: "/sites")
    }

    @Sendable func siteCSV(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        let (page, _) = try await authenticate(request, context)
        let query = try SiteQuery(page.query)
        let (verdicts, received) = try await siteData()
        let csv = SiteListModel.csv(query: query, sites: collector.inventory.sites, verdicts: verdicts, lastReports: received,
                                    language: page.language, timeZone: settings.officeTimeZone)
        return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"sites.csv\""],
                        body: .init(byteBuffer: ByteBuffer(string: csv)))
    }

    private func siteData() async throws(CollectorError) -> ([String: SiteVerdict], [String: Date]) {
        let store = collector.store
        // State and reason keys are all the list shows and filters on: the compact, cached summaries.
        let verdicts = try await collector.storage("reading verdicts") { try await collector.verdictSummaries() }
        let received = try await collector.storage("reading reports") { try await store.latestReceivedAt() }
        return (verdicts, received)
    }

    @Sendable func site(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        let (page, viewer) = try await authenticate(request, context)
        let code = try context.parameters.require("code")
        let inventory = collector.inventory
        guard let site = inventory.site(code: code) else { throw CollectorError(.notFound, "no site \(code) in the inventory") }
        let detail = try await collector.site(code: code)
        let now = Date()
        let history = try await collector.history(code: code, from: now.addingTimeInterval(-7 * 86400), to: now)
        var alertBodies: [AlertBody] = []
        var silences: [Silence] = []
        if let alerts {
            alertBodies = try await collector.storage("reading alerts") { try await alerts.alerts(now: now, language: page.language) }
            silences = try await alerts.silences(now: now)
        }
        let model = SiteDetailModel(site: site, profile: inventory.effectiveProfile(for: site), verdict: detail.verdict,
                                    latest: detail.latestReport, lastReportAt: detail.lastReportAt, history: history,
                                    alerts: alertBodies, silences: silences, now: now, language: page.language, timeZone: settings.officeTimeZone)
        return try render(page, "site", model, title: site.name, viewer: viewer, live: true, nav: "/sites")
    }

    @Sendable func alertList(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        let (page, viewer) = try await authenticate(request, context)
        let alerts = try requireAlerts()
        let bodies = try await collector.storage("reading alerts") { try await alerts.alerts(language: page.language) }
        return try render(page, "alerts", AlertListModel(alerts: bodies, language: page.language, timeZone: settings.officeTimeZone), title: page.words("alerts"),
                          viewer: viewer, live: true, nav: "/alerts")
    }

    @Sendable func silenceList(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        let (page, viewer) = try await authenticate(request, context)
        let alerts = try requireAlerts()
        let now = Date()
        let model = SilenceListModel(silences: try await alerts.silences(now: now), canChange: viewer.isAdmin, now: now,
                                     language: page.language, timeZone: settings.officeTimeZone)
        return try render(page, "silences", model, title: page.words("silences"), viewer: viewer, nav: "/silences")
    }

    @Sendable func addSilence(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        let (_, viewer) = try await authenticate(request, context)
        let form = try await Self.form(request)
        try Self.checkCSRF(form, viewer)
        guard viewer.isAdmin else { throw CollectorError(.forbidden, "adding a silence needs the admin role") }
        let alerts = try requireAlerts()
        func field(_ name: String) -> String? {
            guard let value = form[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
            return value
        }
        guard let hours = Int(form["hours"] ?? ""), (1...24 * 31).contains(hours) else {
            throw CollectorError(.badParameter, "hours must be a number of hours from 1 to 744")
        }
        if let site = field("site"), collector.inventory.site(code: site) == nil {
            throw CollectorError(.badParameter, "no site \(site) in the inventory")
        }
        let now = Date()
        _ = try await alerts.addSilence(SilenceRequest(site: field("site"), rule: field("rule"), endsAt: now.addingTimeInterval(Double(hours) * 3600),
                                                       author: viewer.name, comment: field("comment") ?? ""),
                                        user: viewer.name, now: now)
        return Response(status: .seeOther, headers: [.location: "/silences"])
    }

    @Sendable func expireSilence(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        let (_, viewer) = try await authenticate(request, context)
        try Self.checkCSRF(try await Self.form(request), viewer)
        guard viewer.isAdmin else { throw CollectorError(.forbidden, "expiring a silence needs the admin role") }
        _ = try await requireAlerts().expireSilence(id: try context.parameters.require("id"))
        return Response(status: .seeOther, headers: [.location: "/silences"])
    }

    @Sendable func weeklyList(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        let (page, viewer) = try await authenticate(request, context)
        let reports = try requireReports()
        let model = WeeklyListModel(newest: reports.defaultWeek(), count: 8, timeZone: reports.timeZone, language: page.language)
        return try render(page, "weekly", model, title: page.words("weekly"), viewer: viewer, nav: "/reports/weekly")
    }

    /// One week as the mail showed it (`2026-W48`) or its CSV (`2026-W48.csv`).
    @Sendable func weeklyReport(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        let (page, _) = try await authenticate(request, context)
        let reports = try requireReports()
        var text = try context.parameters.require("week")
        let csv = text.hasSuffix(".csv")
        if csv { text.removeLast(4) }
        guard let week = ISOWeek(text) else { throw CollectorError(.notFound, "no week \(text); weeks are written like 2026-W48") }
        let summary = try await collector.storage("reading the weekly figures") { try await reports.summary(week: week) }
        if csv {
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8",
                                                   .contentDisposition: "attachment; filename=\"sites-\(week).csv\""],
                            body: .init(byteBuffer: ByteBuffer(string: WeeklyReportRenderer.csv(summary, language: page.language))))
        }
        let chart = try WeeklyChart.png(summary, language: page.language)
        let html = WeeklyReportRenderer.html(summary, language: page.language,
                                             chartSource: "data:image/png;base64," + chart.base64EncodedString())
        // The mail's own markup: its inline styles are allowed on this page, scripts still are not.
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", PageMiddleware.csp: PageMiddleware.mailPolicy],
                        body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    // MARK: Live updates

    /// Server-Sent Events: `event: verdict` with the newest transition id whenever a verdict changes. A browser that
    /// reconnects with Last-Event-ID gets one event at once if something changed meanwhile, never one per change.
    @Sendable func events(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        let id = PageRequest(request).cookies[Self.sessionCookie]
        guard let viewer = try await collector.storage("reading the session", { try await sessions.viewer(sessionID: id) }) else {
            throw CollectorError(.unauthenticated, "log in first")
        }
        context.caller.name = "dashboard \(viewer.name)"
        let store = collector.store
        let current = try await collector.storage("reading transitions") { try await store.latestTransitionID() }
        let start = request.headers[HTTPField.Name("Last-Event-ID")!].flatMap { Int64($0) } ?? current
        let settings = self.settings
        let language = PageRequest(request).language
        let dashboard = self
        let body = ResponseBody { writer in
            var last = start
            try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
            let deadline = ContinuousClock.now + settings.eventStreamLifetime
            var idle = Duration.zero
            while ContinuousClock.now < deadline, !Task.isCancelled, !Task.isShuttingDownGracefully {
                let newest = try await store.latestTransitionID()
                if newest != last {
                    last = newest
                    idle = .zero
                    // Every live page refetches on this event at once: the overview of the new verdicts is made
                    // first (once, shared by all streams), so that their fetches find it made. A failure here is
                    // the fetch's to report.
                    _ = try? await dashboard.overviewBody(language: language)
                    try await writer.write(ByteBuffer(string: "id: \(newest)\nevent: verdict\ndata: \(newest)\n\n"))
                } else if idle >= .seconds(15) {
                    idle = .zero
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                }
                try await Task.sleep(for: settings.eventPoll)
                idle += settings.eventPoll
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
    }

    // MARK: Helpers

    /// The page's language and the logged-in viewer; without a live session, a redirect to the login page.
    private func authenticate(_ request: Request, _ context: CollectorRequestContext) async throws -> (PageRequest, Viewer) {
        let page = PageRequest(request)
        let id = page.cookies[Self.sessionCookie]
        guard let viewer = try await collector.storage("reading the session", { try await sessions.viewer(sessionID: id) }) else {
            throw LoginRequired(next: request.uri.path + (request.uri.query.map { "?" + $0 } ?? ""), hadSession: id != nil)
        }
        context.caller.name = "dashboard \(viewer.name)"
        return (page, viewer)
    }

    private func requireAlerts() throws(CollectorError) -> AlertEngine {
        guard let alerts else { throw CollectorError(.notFound, "alerts are not configured on this collector") }
        return alerts
    }

    private func requireReports() throws(CollectorError) -> WeeklyReports {
        guard let reports else { throw CollectorError(.notFound, "weekly reports are not configured on this collector") }
        return reports
    }

    static func checkCSRF(_ form: [String: String], _ viewer: Viewer) throws(CollectorError) {
        guard SessionAuthority.sameSecret(form["csrf"] ?? "", viewer.csrfToken) else {
            throw CollectorError(.forbidden, "csrf: the form's token does not match the session")
        }
    }

    /// A path on this server to go back to after login; anything else becomes "/".
    static func localPath(_ text: String?) -> String {
        guard let text, text.hasPrefix("/"), !text.hasPrefix("//"), !text.contains("\\"),
              !text.contains(where: { $0.isNewline || $0 == "\r" }) else { return "/" }
        return text
    }

    /// An `application/x-www-form-urlencoded` body (at most 64 KiB).
    static func form(_ request: Request) async throws -> [String: String] {
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024)
        return FormData.parse(String(buffer: body))
    }

    private func render(_ page: PageRequest, _ template: String, _ model: Any, title: String, viewer: Viewer?, live: Bool = false,
                        nav current: String = "") throws -> Response {
        let html = PageRenderer.render(page: page, template: template, model: model, title: title, viewer: viewer, live: live,
                                       nav: current)
        return PageRenderer.response(html, request: page)
    }
}

/// A page needs a session: the middleware answers with a redirect to the login page.
struct LoginRequired: Error {
    var next: String
    var hadSession: Bool
}

struct LoginModel {
    var next: String
    var name: String
    var message: String?
    /// The login form's CSRF token (`LoginFormTokens`).
    var csrf: String
}

/// What every page reads from its request: the query, the cookies, the language (`?lang=` first, then the cookie,
/// then Vietnamese) and whether gzip is accepted.
struct PageRequest {
    let path: String
    let query: [String: String]
    let cookies: [String: String]
    let language: Language
    let acceptsGzip: Bool

    init(_ request: Request) {
        path = request.uri.path
        query = FormData.parse(request.uri.query ?? "")
        var cookies: [String: String] = [:]
        for header in request.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let pair = part.split(separator: "=", maxSplits: 1)
                guard pair.count == 2 else { continue }
                let name = pair[0].trimmingCharacters(in: .whitespaces)
                if cookies[name] == nil { cookies[name] = pair[1].trimmingCharacters(in: .whitespaces) }
            }
        }
        self.cookies = cookies
        language = query["lang"].flatMap(Language.init(rawValue:)) ?? cookies[Dashboard.languageCookie].flatMap(Language.init(rawValue:)) ?? .vi
        acceptsGzip = request.headers[values: .acceptEncoding].contains { $0.lowercased().contains("gzip") }
    }

    init(path: String, query: [String: String] = [:], language: Language = .vi) {
        self.path = path
        self.query = query
        cookies = [:]
        self.language = language
        acceptsGzip = false
    }

    func words(_ key: String) -> String { DashboardWording.text(key, language) }
}

/// The layout around every page and the HTML response (gzip when the browser takes it).
enum PageRenderer {
    static func render(page: PageRequest, template: String, model: Any, title: String, viewer: Viewer?, live: Bool, nav current: String)
        -> String {
        let body = body(language: page.language, template: template, model: model, csrfToken: viewer?.csrfToken)
        return layout(page: page, body: body, title: title, viewer: viewer, live: live, nav: current)
    }

    /// The page's own part: `template` filled from `model`'s properties, the words of `language`, and the CSRF token
    /// for its forms; `html` adds markup made apart (inserted unescaped by `{{{name}}}`).
    static func body(language: Language, template: String, model: Any, csrfToken: String?, html: [String: String] = [:]) -> String {
        var values = flatten(model)
        values.merge(html) { _, made in made }
        values["w"] = DashboardWording.texts(language)
        if let csrfToken { values["csrfToken"] = csrfToken }
        return Templates.library.render(values, withTemplate: template) ?? ""
    }

    /// The layout around a page's body: head, navigation, the viewer and the language switch.
    static func layout(page: PageRequest, body: String, title: String, viewer: Viewer?, live: Bool, nav current: String) -> String {
        let words = DashboardWording.texts(page.language)
        let nav: [[String: Any]] = [("/", "overview"), ("/sites", "sites"), ("/alerts", "alerts"), ("/silences", "silences"),
                                    ("/reports/weekly", "weekly")].map { href, key in
            ["href": href, "label": words[key] ?? key, "current": href == current]
        }
        let other: Language = page.language == .vi ? .en : .vi
        var otherQuery = page.query
        otherQuery["lang"] = other.rawValue
        var layout: [String: Any] = [
            "lang": page.language.rawValue, "title": title, "css": Asset.stylesheet.path, "js": Asset.script.path, "live": live,
            "w": words, "nav": nav, "body": body, "otherLanguage": other.rawValue,
            "otherLanguageHref": page.path + queryString(otherQuery.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }),
        ]
        if let viewer {
            layout["viewer"] = ["name": viewer.name, "roleName": viewer.role.rawValue, "csrfToken": viewer.csrfToken] as [String: Any]
        }
        return Templates.library.render(layout, withTemplate: "layout") ?? ""
    }

    /// A view model's stored properties by name, optionals unwrapped (nil ones left out), for Mustache.
    static func flatten(_ model: Any) -> [String: Any] {
        var values: [String: Any] = [:]
        for child in Mirror(reflecting: model).children {
            guard let label = child.label else { continue }
            let mirror = Mirror(reflecting: child.value)
            if mirror.displayStyle == .optional {
                if let wrapped = mirror.children.first?.value { values[label] = wrapped }
            } else {
                values[label] = child.value
            }
        }
        return values
    }

    static func response(_ html: String, request: PageRequest, status: HTTPResponse.Status = .ok) -> Response {
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store", .vary: "Accept-Encoding, Cookie"]
        var buffer = ByteBuffer(string: html)
        if request.acceptsGzip, buffer.readableBytes > 1024, let compressed = try? buffer.compress(with: .gzip()) {
            buffer = compressed
            headers[.contentEncoding] = "gzip"
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
    }
}

/// On every dashboard response: the security headers, the language cookie when `?lang=` asked for one; errors become
/// HTML pages in the page's language (a missing session a redirect to the login page).
struct PageMiddleware: RouterMiddleware {
    typealias Context = CollectorRequestContext
    let settings: Dashboard.Settings

    static let csp = HTTPField.Name("Content-Security-Policy")!
    static let policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    static let mailPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let page = PageRequest(request)
        var response: Response
        do {
            response = try await next(request, context)
        } catch let required as LoginRequired {
            let query = queryString([("next", required.next), ("ended", required.hadSession ? "1" : "")])
            if request.uri.path == "/events" || request.method != .get {
                response = errorPage(page, status: .unauthorized, message: page.words("sessionEnded"), detail: nil)
            } else {
                response = Response(status: .seeOther, headers: [.location: "/login" + query])
            }
        } catch let error as CollectorError {
            response = errorPage(page, error)
        } catch let error as any HTTPResponseError {
            let status = error.status
            response = errorPage(page, status: status, message: page.words(status == .notFound ? "notFound" : "badRequest"), detail: nil)
        }
        if response.headers[Self.csp] == nil { response.headers[Self.csp] = Self.policy }
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        if let wanted = page.query["lang"].flatMap(Language.init(rawValue:)) {
            var cookie = "\(Dashboard.languageCookie)=\(wanted.rawValue); Path=/; Max-Age=31536000; SameSite=Strict"
            if settings.secureCookies { cookie += "; Secure" }
            response.headers.append(HTTPField(name: .setCookie, value: cookie))
        }
        return response
    }

    private func errorPage(_ page: PageRequest, _ error: CollectorError) -> Response {
        switch error.code {
        case .notFound: return errorPage(page, status: .notFound, message: page.words("notFound"), detail: error.message)
        case .forbidden:
            let csrf = error.message.hasPrefix("csrf")
            return errorPage(page, status: .forbidden, message: page.words(csrf ? "csrfFailed" : "forbidden"), detail: csrf ? nil : error.message)
        case .unauthenticated, .tokenRevoked: return errorPage(page, status: .unauthorized, message: page.words("sessionEnded"), detail: nil)
        case .badParameter, .malformedJSON, .invalidReport, .unsupportedFormat, .siteMismatch, .unsupportedMediaType,
             .methodNotAllowed, .enrolmentCodeUnknown, .enrolmentCodeUsed, .enrolmentCodeExpired:
            return errorPage(page, status: .badRequest, message: page.words("badRequest"), detail: error.message)
        case .bodyTooLarge: return errorPage(page, status: .contentTooLarge, message: page.words("badRequest"), detail: error.message)
        case .requestTimeout: return errorPage(page, status: .requestTimeout, message: page.words("badRequest"), detail: error.message)
        case .rateLimited: return errorPage(page, status: .tooManyRequests, message: page.words("loginLimited"), detail: nil)
        case .unknownSite: return errorPage(page, status: .notFound, message: page.words("notFound"), detail: error.message)
        case .unavailable, .internalError: return errorPage(page, status: .internalServerError, message: page.words("serverError"), detail: nil)
        }
    }

    private func errorPage(_ page: PageRequest, status: HTTPResponse.Status, message: String, detail: String?) -> Response {
        let model = ErrorModel(status: "\(status.code) · \(message)", message: message, detail: detail)
        let html = PageRenderer.render(page: page, template: "error", model: model, title: message, viewer: nil, live: false, nav: "")
        return PageRenderer.response(html, request: page, status: status)
    }
}

struct ErrorModel {
    var status: String
    var message: String
    var detail: String?
}
