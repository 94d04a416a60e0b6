import Crypto
import Foundation

/// The stylesheet and the script, embedded in the binary and served under content-hashed names
/// (`/static/app.<hash>.css`) with a one-year immutable cache lifetime: a new build gets new names.
public struct Asset: Sendable {
    public let path: String
    public let contentType: String
    public let body: String

    init(name: String, extension ext: String, contentType: String, body: String) {
        let digest = SHA256.hash(data: Data(body.utf8)).prefix(6).map { String(format: "%02x", $0) }.joined()
        path = "/static/\(name).\(digest).\(ext)"
        self.contentType = contentType
        self.body = body
    }

    public static let stylesheet = Asset(name: "app", extension: "css", contentType: "text/css; charset=utf-8", body: css)
    public static let script = Asset(name: "app", extension: "js", contentType: "text/javascript; charset=utf-8", body: js)
    public static let all = [stylesheet, script]

    static let css = """
        :root { --fg: #1a1a1a; --bg: #fff; --muted: #555; --line: #d0d0d0; --accent: #1f5fa8; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.45 "DejaVu Sans", "Noto Sans", Arial, sans-serif; color: var(--fg); background: var(--bg); }
        a { color: var(--accent); }
        .skip { position: absolute; left: -999px; }
        .skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; z-index: 2; }
        .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
        header.top { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: center; gap: 8px;
          padding: 8px 16px; background: #12355b; color: #fff; }
        header.top a { color: #fff; text-decoration: none; padding: 4px 6px; }
        header.top a[aria-current="page"] { border-bottom: 3px solid #ffd24d; }
        header.top .brand { font-weight: bold; }
        header.top form { display: inline; }
        header.top button { font: inherit; }
        .who { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
        main { padding: 12px 16px 32px; max-width: 1880px; margin: 0 auto; }
        h1 { font-size: 1.6rem; margin: 8px 0 12px; }
        h1.headline .figure { font-size: 3rem; font-weight: bold; }
        h2 { font-size: 1.25rem; margin: 20px 0 8px; }
        h3 { font-size: 1.05rem; margin: 12px 0 4px; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
        th a { color: var(--fg); }
        .num { text-align: right; }
        .scroll { overflow-x: auto; }
        .muted { color: var(--muted); }
        .code { font-family: "DejaVu Sans Mono", monospace; color: var(--muted); }
        .badge { display: inline-block; padding: 1px 8px; border-radius: 4px; background: #e6e6e6; color: #1a1a1a; text-decoration: none; }
        .badge.big { font-size: 1.4rem; }
        .st-ready { background: #d6f0dd; color: #0d4a1f; }
        .st-degraded { background: #fff1c2; color: #5c4300; }
        .st-not-ready { background: #f9d6d2; color: #7a1a10; }
        .st-unknown { background: #e6e6e6; color: #333; }
        .tiles { list-style: none; padding: 0; margin: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); gap: 8px; }
        .tile a { display: block; padding: 10px 12px; border-radius: 6px; color: #111; text-decoration: none; border: 1px solid #999; }
        .tile .name { display: block; font-weight: bold; }
        .tile .count { font-size: 1.6rem; font-weight: bold; }
        .band-0 a { background: #f4b9b2; }
        .band-1 a { background: #f8cfa0; }
        .band-2 a { background: #fbe7a1; }
        .band-3 a { background: #d7ecb1; }
        .band-4 a { background: #a9dbb5; }
        .cols { display: grid; grid-template-columns: 1fr 1fr; gap: 24px; }
        .chart { width: 100%; max-width: 900px; height: auto; display: block; }
        .legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 12px; }
        .filters { display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: flex-end; }
        .filters p, form.silence p, form.login p { margin: 4px 0; }
        label { display: block; font-size: .9rem; }
        input, select, button { font: inherit; padding: 4px 6px; }
        button { cursor: pointer; }
        .notice { background: #fff1c2; padding: 8px 12px; border-left: 4px solid #8a6d00; }
        tr.mismatch { background: #fff1c2; }
        .pages { margin-top: 12px; display: flex; gap: 16px; }
        .reasons li { margin-bottom: 6px; }
        @media (min-width: 1800px) { body { font-size: 20px; } h1.headline .figure { font-size: 4.5rem; } }
        @media (max-width: 700px) { .cols { grid-template-columns: 1fr; } main { padding: 8px; } h1.headline .figure { font-size: 2.2rem; } }
        """

    /// Progressive enhancement: on pages marked `data-live`, a verdict change announced on /events reloads the page's
    /// main part in place. Without JavaScript the `<noscript>` meta refresh does it every 30 s instead.
    static let js = """
        (function () {
          "use strict";
          var main = document.querySelector("main[data-live]");
          if (!main || !window.EventSource || !window.fetch) { return; }
          var busy = false, again = false;
          function refresh() {
            if (busy) { again = true; return; }
            busy = true;
            fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
              .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
              .then(function (html) {
                var page = new DOMParser().parseFromString(html, "text/html");
                var next = page.querySelector("main[data-live]");
                if (next) { main.innerHTML = next.innerHTML; document.title = page.title; }
              })
              .catch(function () {})
              .then(function () { busy = false; if (again) { again = false; refresh(); } });
          }
          var events = new EventSource("/events");
          events.addEventListener("verdict", refresh);
        })();
        """
}
