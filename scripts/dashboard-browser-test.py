#!/usr/bin/env python3
"""The dashboard in a real headless Chromium (Selenium + chromedriver, axe-core from axe-selenium-python).

Run by Tests/CollectorDashboardTests/BrowserTests.swift against a real collector; it can be run by hand too:

  scripts/dashboard-browser-test.py --base http://127.0.0.1:8080 --admin tuan:PASSWORD --read lan:PASSWORD \
      --noc-token sst_... --site-token sst_... --report batch.json --report-time 2026-12-07T10:00:00Z --site 20242 --out /tmp/shots

Prints one "ok: ..." line per check and exits 0, or prints "FAIL: ..." and exits 1.
"""
import argparse
import json
import os
import sys
import time
import urllib.request

os.environ.setdefault("SE_AVOID_STATS", "true")

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from axe_selenium_python import Axe


def fail(message):
    print("FAIL: " + message, flush=True)
    sys.exit(1)


def ok(message):
    print("ok: " + message, flush=True)


def check(condition, message):
    if not condition:
        fail(message)
    ok(message)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--admin", required=True)
    parser.add_argument("--read", required=True)
    parser.add_argument("--noc-token", required=True)
    parser.add_argument("--site-token", required=True)
    parser.add_argument("--report", required=True)
    parser.add_argument("--report-time", required=True, help="the ISO 8601 time in the report, replaced by now when sent")
    parser.add_argument("--site", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--screenshot-site", help="a site whose page is photographed (default: --site)")
    args = parser.parse_args()
    base = args.base.rstrip("/")
    os.makedirs(args.out, exist_ok=True)

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1366,768",
                 "--disable-background-networking", "--disable-component-update", "--disable-default-apps",
                 "--disable-sync", "--no-first-run", "--disable-features=OptimizationHints,MediaRouter,Translate"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    requested = []

    def collect_network():
        for entry in driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                requested.append(message["params"]["request"]["url"])

    def wait_for(condition, seconds=15):
        """True once condition(driver) holds on a fully loaded page (a click's navigation may still be under way)."""
        try:
            WebDriverWait(driver, seconds, poll_frequency=0.05).until(
                lambda d: d.execute_script("return document.readyState") == "complete" and condition(d))
            return True
        except TimeoutException:
            return False
        finally:
            collect_network()

    def go(path):
        driver.get(base + path)
        collect_network()

    def log_in(credentials):
        name, password = credentials.split(":", 1)
        go("/login")
        driver.find_element(By.ID, "name").send_keys(name)
        driver.find_element(By.ID, "password").send_keys(password)
        driver.find_element(By.CSS_SELECTOR, "form.login button[type=submit]").click()
        check(wait_for(lambda d: "/login" not in d.current_url and d.find_elements(By.CSS_SELECTOR, "header .who form")),
              "logged in as " + name)

    def log_out():
        driver.find_element(By.CSS_SELECTOR, "header .who form button").click()
        check(wait_for(lambda d: "/login" in d.current_url and d.find_elements(By.ID, "password")), "logged out")

    def api(path, token, body=None):
        request = urllib.request.Request(base + path, data=body, headers={"Authorization": "Bearer " + token,
                                                                          "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def axe_check(label):
        axe = Axe(driver)
        axe.inject()
        results = axe.run()
        bad = [v for v in results["violations"] if v.get("impact") in ("serious", "critical")]
        check(not bad, "axe: no serious or critical violation on %s%s" % (
            label, "" if not bad else ": " + "; ".join("%s (%s) %s" % (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in bad)))

    try:
        # The login page is accessible in both languages before anyone logs in.
        for lang in ["vi", "en"]:
            go("/login?lang=" + lang)
            check(driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang, "login page in " + lang)
            axe_check("/login (%s)" % lang)

        log_in(args.admin)
        go("/?lang=vi")
        figure = driver.find_element(By.ID, "province-ready").text
        overall = api("/api/v1/readiness", args.noc_token)["overall"]
        check(figure == "%d/%d" % (overall["ready"], overall["total"]),
              "overview figure %s equals the API's %d/%d" % (figure, overall["ready"], overall["total"]))

        for width, height in [(1920, 1080), (1366, 768), (375, 812)]:
            driver.set_window_size(width, height)
            go("/")
            driver.save_screenshot(os.path.join(args.out, "overview-%d.png" % width))
            ok("screenshot of the overview at %d px" % width)
        driver.set_window_size(1366, 768)
        go("/?lang=en")
        driver.save_screenshot(os.path.join(args.out, "overview-1366-en.png"))
        go("/?lang=vi")
        driver.set_window_size(1366, 768)

        pages = ["/", "/sites", "/sites/" + args.site, "/alerts", "/silences", "/reports/weekly"]
        for lang in ["vi", "en"]:
            for path in pages:
                go(path + ("&" if "?" in path else "?") + "lang=" + lang)
                check(driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang, "%s in %s" % (path, lang))
                axe_check("%s (%s)" % (path, lang))
        go("/?lang=vi")

        # Search without diacritics, then open the site page.
        go("/sites")
        box = driver.find_element(By.ID, "q")
        box.send_keys("hai chau")
        driver.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
        selector = "a[href='/sites/%s']" % args.site
        check(wait_for(lambda d: "q=hai+chau" in d.current_url and d.find_elements(By.CSS_SELECTOR, selector)),
              "searching 'hai chau' finds site %s" % args.site)
        link = driver.find_elements(By.CSS_SELECTOR, selector)
        driver.save_screenshot(os.path.join(args.out, "sites-1366.png"))
        link[0].click()
        check(wait_for(lambda d: d.current_url.endswith("/sites/" + args.site) and "Hải Châu" in d.find_element(By.TAG_NAME, "h1").text),
              "site page of Hải Châu opened")
        go("/sites/" + (args.screenshot_site or args.site))
        driver.save_screenshot(os.path.join(args.out, "site-1366.png"))
        driver.set_window_size(1366, 2200)
        driver.save_screenshot(os.path.join(args.out, "site-1366-full.png"))
        driver.set_window_size(1366, 768)

        # Add a silence and expire it, as admin.
        def add_silence(comment):
            go("/silences")
            driver.find_element(By.ID, "s-site").send_keys(args.site)
            driver.find_element(By.ID, "s-comment").send_keys(comment)
            driver.find_element(By.CSS_SELECTOR, "form.silence button[type=submit]").click()
            check(wait_for(lambda d: comment in d.find_element(By.TAG_NAME, "main").text), "silence '%s' added" % comment)

        add_silence("bảo trì tuyến cáp")
        driver.save_screenshot(os.path.join(args.out, "silences-1366.png"))
        driver.find_element(By.CSS_SELECTOR, "main table form button").click()
        check(wait_for(lambda d: d.find_elements(By.CSS_SELECTOR, "form.silence")
                       and "bảo trì tuyến cáp" not in d.find_element(By.TAG_NAME, "main").text), "silence expired")
        add_silence("nâng cấp switch")
        log_out()

        # A read user sees the silence, has no form, and a forged request is refused.
        log_in(args.read)
        go("/silences")
        main_text = driver.find_element(By.TAG_NAME, "main").text
        check("nâng cấp switch" in main_text, "read user sees the silence")
        check(not driver.find_elements(By.CSS_SELECTOR, "form.silence") and not driver.find_elements(By.CSS_SELECTOR, "main table form"),
              "read user has no add or expire form")
        silence_id = api("/api/v1/silences", args.noc_token)["items"][0]["id"]
        status = driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            const csrf = document.querySelector("header .who input[name=csrf]").value;
            fetch(arguments[0], {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"},
                                 body: "csrf=" + encodeURIComponent(csrf)}).then(r => done(r.status), e => done(String(e)));
            """, "/silences/%s/expire" % silence_id)
        check(status == 403, "read user's expire is refused (%s)" % status)
        check(any(s["id"] == silence_id for s in api("/api/v1/silences", args.noc_token)["items"]), "the silence is still active")

        # The overview follows a verdict change by itself (Server-Sent Events), without a reload.
        go("/")
        before = driver.find_element(By.ID, "province-ready").text
        driver.execute_script("window.__sameDocument = true;")
        time.sleep(1.0)  # the event stream is open
        with open(args.report, "r", encoding="utf-8") as handle:
            batch = handle.read().replace(args.report_time, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        api("/api/v1/reports", args.site_token, batch.encode("utf-8"))
        changed_at = time.monotonic()
        after = before
        while time.monotonic() - changed_at < 5:
            try:
                after = driver.find_element(By.ID, "province-ready").text
            except StaleElementReferenceException:
                continue  # the live update replaced the element between finding and reading it: look again
            if after != before:
                break
            time.sleep(0.05)
        elapsed = time.monotonic() - changed_at
        ready_now = api("/api/v1/readiness", args.noc_token)["overall"]
        check(after == "%d/%d" % (ready_now["ready"], ready_now["total"]) and after != before,
              "overview went from %s to %s by itself in %.2f s" % (before, after, elapsed))
        check(elapsed <= 2.0, "the live update came within 2 s (%.2f s)" % elapsed)
        check(driver.execute_script("return window.__sameDocument === true;"), "no page reload")
        collect_network()
        log_out()

        # Nothing left the collector's host: every request the browser made went to the collector.
        foreign = sorted({url for url in requested if not (url.startswith(base + "/") or url.startswith("data:"))})
        check(requested and not foreign, "all %d browser requests went to %s%s" % (len(requested), base, "" if not foreign else ": " + ", ".join(foreign)))
    finally:
        driver.quit()
    print("browser test passed", flush=True)


if __name__ == "__main__":
    main()
