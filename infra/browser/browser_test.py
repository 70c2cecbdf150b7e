"""The browser tests: real pages of a running `num serve`, driven in headless Chromium through WebDriver.

For every page, in every language the site offers, once with JavaScript on and once with it off:
  - axe-core (injected into the page) at WCAG 2.0, 2.1 and 2.2, levels A and AA: any violation fails (in English
    with scripts on, in the low-light theme too);
  - the first tab stop is the quick-exit link;
  - the page is in the language asked for (`?lang=`), fits a 390 px wide screen (and 320 px), loads nothing from
    another origin, and weighs under 50 KB with its stylesheet and script;
  - a refused form sums its errors up at the top and says each beside its field;
  - a full-page screenshot 390 px wide is saved.
Then the members' journey through the pages only: join, verify (the code read from the outbox), approval by an office
manager (admin API), sign in (code from the outbox), the published alert in the members' area, settings, sign out.
And the quick exit leaves when clicked (and on Escape three times where scripts run); Shift+TAB through the long forms
never leaves the focused control hidden behind it.

Run by scripts/browser-test, which installs the browser, the driver, selenium and axe-core and starts the server; it
passes the server's address and data folder. The last line is "browser: N passed, M failed".
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import math
import re
import subprocess
import sys
import itertools
import threading
import time
import traceback
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.wait import WebDriverWait

# Every language the pages must offer (issue 13); English is the fallback.
LANGUAGES = ["en", "pl", "ro", "pt-BR", "es"]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
PHONE_WIDTH = 390
NARROW_WIDTH = 320
# Each page with its stylesheet (issue 13, item 5).
WEIGHT_LIMIT = 50 * 1024
REGION = "yorkshire-humber"

# The members' pages whose paths the contract leaves to the site (docs/web.md names them).
SIGN_IN_PAGE = "/members/sign-in"
MEMBERS_AREA = "/members"
SETTINGS_PAGE = "/members/settings"
CHECK_PAGE = "/members/check"

# A page with known violations: axe must find them, or a run that finds nothing proves nothing.
KNOWN_BAD = (
    "data:text/html;charset=utf-8,"
    + urllib.parse.quote('<html><head></head><body><form><input name="q"><img src="x.png"></form></body></html>')
)

SCRIPTED = "data:text/html;charset=utf-8," + urllib.parse.quote(
    '<html lang="en"><title>t</title><p id="x">not run</p><script>document.getElementById("x").textContent = "ran"</script>'
)

# With JavaScript turned off in the browser's settings, scripts that WebDriver runs still run, and so do promises,
# but timers never fire. axe-core schedules its work with timers: here they become microtasks.
TIMER_SHIM = """
if (!window.__numTimerShim) {
  window.__numTimerShim = true;
  window.setTimeout = function (fn, ms) {
    var args = Array.prototype.slice.call(arguments, 2), handle = {cancelled: false};
    Promise.resolve().then(function () { if (!handle.cancelled && typeof fn === 'function') fn.apply(null, args); });
    return handle;
  };
  window.clearTimeout = function (h) { if (h) h.cancelled = true; };
  window.requestAnimationFrame = function (fn) { return window.setTimeout(fn, 0, 0); };
  window.cancelAnimationFrame = window.clearTimeout;
  window.requestIdleCallback = function (fn) {
    return window.setTimeout(fn, 0, {didTimeout: false, timeRemaining: function () { return 50; }});
  };
}
"""

AXE_RUN = """
var done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']}).then(function (r) {
  done({violations: r.violations.map(function (v) {
    return {id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(function (n) {
      return {target: n.target.join(' '), html: n.html.slice(0, 160)};
    }), count: v.nodes.length};
  })});
}, function (e) { done({error: String(e)}); });
"""

PAGE_FACTS = """
var e = document.activeElement, nav = performance.getEntriesByType('navigation')[0];
return {
  type: document.contentType,
  lang: document.documentElement.getAttribute('lang') || '',
  title: document.title,
  active: e && e !== document.body ? {tag: e.tagName, id: e.id || '', cls: String(e.className || ''),
    href: e.getAttribute('href') || '', text: (e.textContent || '').trim().slice(0, 60)} : null,
  html: nav ? nav.decodedBodySize : -1,
  status: nav && nav.responseStatus !== undefined ? nav.responseStatus : null,
  styles: Array.prototype.map.call(document.querySelectorAll('link[rel~=stylesheet]'), function (l) { return l.href; }),
  scripts: Array.prototype.map.call(document.querySelectorAll('script[src]'), function (s) { return s.src; }),
  others: performance.getEntriesByType('resource').map(function (r) { return r.name; })
    .concat(Array.prototype.map.call(document.querySelectorAll('[src],link[href]'), function (x) {
      return x.src || x.href; })),
};
"""


# How a refused form shows its errors: the summary's links and the errors beside the fields.
ERROR_MARKUP = """
var summary = document.querySelectorAll('#errors a[href^="#"]');
var dead = Array.prototype.filter.call(summary, function (a) { return !document.getElementById(a.getAttribute('href').slice(1)); })
  .map(function (a) { return a.getAttribute('href'); });
var described = Array.prototype.map.call(document.querySelectorAll('[aria-describedby]'), function (e) {
  return ' ' + e.getAttribute('aria-describedby') + ' '; }).join('');
var beside = document.querySelectorAll('p.error[id]');
var unlinked = Array.prototype.filter.call(beside, function (p) { return described.indexOf(' ' + p.id + ' ') < 0; })
  .map(function (p) { return p.id; });
return {summary: summary.length, dead_links: dead, beside: beside.length, unlinked: unlinked};
"""

# Focuses the page's last control (as reaching the end with TAB would) and answers how many controls there are.
FOCUS_LAST = """
var all = Array.prototype.filter.call(
  document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex="-1"])'),
  function (e) { return !e.disabled && e.getClientRects().length > 0; });
if (all.length) all[all.length - 1].focus();
return all.length;
"""

# The focused control, where it is hidden whole behind something sticky or fixed that does not hold it; else null.
FOCUS_HIDDEN = """
var e = document.activeElement;
if (!e || e === document.body) return null;
var r = e.getBoundingClientRect();
if (!r.width || !r.height) return null;
var points = [[r.left + 1, r.top + 1], [r.right - 1, r.top + 1], [r.left + 1, r.bottom - 1], [r.right - 1, r.bottom - 1],
  [(r.left + r.right) / 2, (r.top + r.bottom) / 2]];
function coveredBy(t) {
  for (var n = t; n && n !== document.documentElement; n = n.parentElement) {
    var pos = getComputedStyle(n).position;
    if ((pos === 'sticky' || pos === 'fixed') && !n.contains(e)) return n;
  }
  return null;
}
var cover = null;
for (var i = 0; i < points.length; i++) {
  var x = points[i][0], y = points[i][1];
  if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) continue;
  var t = document.elementFromPoint(x, y);
  if (!t) continue;
  var c = coveredBy(t);
  if (!c) return null;
  cover = c;
}
if (!cover) return null;
return '<' + e.tagName.toLowerCase() + (e.id ? ' id=' + e.id : '') + (e.name ? ' name=' + e.name : '') + '> under ' +
  (cover.id ? '#' + cover.id : cover.tagName.toLowerCase());
"""


# What WebDriver says when a page changed between two of its commands (a race of the driver, not a fault of the page).
STALE = ("stale element", "does not belong to the document", "Cannot find context with specified id")


def replaced(element) -> bool:
    """Whether `element` has left the document: what `EC.staleness_of` asks, except that chromedriver sometimes answers
    a node detached in the middle of a navigation with an "unknown error" naming it (one of `STALE`) rather than as
    stale, which is the same answer."""
    try:
        element.is_enabled()
        return False
    except StaleElementReferenceException:
        return True
    except WebDriverException as e:
        if any(w in str(e) for w in STALE):
            return True
        raise


class Failure(Exception):
    """A step that did not go as a person would expect."""


@dataclass
class PageResult:
    mode: str
    lang: str
    name: str
    path: str
    violations: int | None = None
    failed: int = 0


class Results:
    """Checks passed and failed, shared by the two browsers (JavaScript on and off)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.passed = 0
        self.failures: list[str] = []
        self.pages: list[PageResult] = []
        self.weights: dict[str, tuple[int, int, int]] = {}

    def check(self, ok: bool, name: str, detail: str = "") -> bool:
        with self.lock:
            if ok:
                self.passed += 1
            else:
                self.failures.append(f"{name}: {detail}" if detail else name)
        return ok


# ---------------------------------------------------------------------------------------------------------------------
# The server, from outside: its HTTP API, its outbox and the `num` command.


@dataclass
class Server:
    base: str
    data_dir: Path
    num: str
    host: str = field(init=False)
    port: int = field(init=False)

    def __post_init__(self) -> None:
        u = urllib.parse.urlsplit(self.base)
        self.host, self.port = u.hostname or "127.0.0.1", u.port or 80

    def request(self, method: str, path: str, body=None, token: str | None = None, source: str | None = None):
        """One request; `source` is the loopback address to send it from, so that the setup's many subscriptions
        count as many clients against the per-client limit on code requests."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=20, source_address=(source, 0) if source else None)
        headers = {"accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["content-type"] = "application/json"
        if token:
            headers["authorization"] = f"Bearer {token}"
        conn.request(method, path, body=data, headers=headers)
        res = conn.getresponse()
        raw = res.read()
        conn.close()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode("utf-8", "replace")
        return res.status, parsed, raw

    def api(self, method: str, path: str, body=None, token: str | None = None, source: str | None = None, want=(200, 201, 202)):
        status, parsed, _ = self.request(method, path, body, token, source)
        if status not in want:
            raise Failure(f"{method} {path} answered {status}: {parsed}")
        return parsed

    def staff_token(self, role: str) -> str:
        out = subprocess.run(
            [self.num, "staff", "token", "--role", role, "--data-dir", str(self.data_dir)],
            check=True, capture_output=True, text=True, timeout=30,
        )
        return out.stdout.strip()

    def outbox(self) -> list[dict]:
        path = self.data_dir / "outbox.jsonl"
        entries = []
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    entries.append(json.loads(line))
                except ValueError:
                    pass  # a line being written
        return entries

    def wait_message(self, match, after: int = 0, timeout: float = 15.0) -> dict:
        """The newest outbox message after the first `after` that `match` accepts, waiting for it."""
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in self.outbox()[after:] if match(e)]
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                raise Failure("no such message reached the outbox in %.0f s" % timeout)
            time.sleep(0.1)

    def code_for(self, to: str, after: int) -> str:
        """The verification or sign-in code last sent to `to` (an address, or a phone number in any form)."""
        msg = self.wait_message(lambda e: contact_matches(e, to) and re.search(r"\d{6,}", e.get("body", "")) is not None, after)
        return re.search(r"\d{6,}", msg["body"]).group(0)


# Numbers the console journey's runs (see `Run.console`).
CONSOLE_RUNS = itertools.count(1)


def key_parts(e: dict) -> list[str]:
    return e.get("idempotency_key", "").split(":")


def html_lang(raw: bytes) -> str:
    m = re.search(rb"<html[^>]*\slang=\"([^\"]*)\"", raw)
    return m.group(1).decode() if m else ""


def primary(lang: str) -> str:
    return lang.split("-")[0].lower()


# ---------------------------------------------------------------------------------------------------------------------
# The set-up through the API: members who get an alert (their links open the unsubscribe and stop pages), and the
# published alert itself.


@dataclass
class Member:
    subscription_id: str
    email: str
    phone: str
    unsubscribe_token: str = ""
    stop_token: str = ""


REPORT = {
    "incident": {
        "date": "2025-06-07",
        "time_of_day": "night",
        "town": "York",
        "categories": ["physical_assault", "non_payment", "threats"],
        "first_contact": "website",
    },
    "offender": {
        "names_used": ["Dean"],
        "phones": ["07700 900456"],
        "vehicles": [{"make": "Ford", "model": "Focus", "colour": "silver", "registration": "YK21 HTD"}],
        "description": "White man, about 50, tall and thin, grey beard, Scottish accent.",
    },
    "account": "He booked through my profile as Dean. When it was time to pay he said he had no cash and pushed me.",
    "consent": {"publish_alert": True, "share_with_police": False, "caseworker_contact": False},
}


def subscribe_members(server: Server, n: int) -> list[Member]:
    members = []
    manager = None
    for i in range(n):
        source = f"127.0.0.{20 + i}"
        m = Member("", f"page-member-{i}@example.org", f"07700 900{300 + i:03d}")
        after = len(server.outbox())
        answer = server.api(
            "POST", "/subscriptions",
            {"email": m.email, "phone": m.phone, "regions": [REGION], "channels": ["email", "sms"]}, source=source,
        )
        m.subscription_id = answer["subscription_id"]
        status = ""
        for channel in ("email", "sms"):
            msg = server.wait_message(
                lambda e, c=channel: key_parts(e)[:1] == ["code"] and m.subscription_id in key_parts(e) and key_parts(e)[-1] == c,
                after,
            )
            code = re.search(r"\d{6,}", msg["body"]).group(0)
            status = server.api(
                "POST", "/subscriptions/verify", {"subscription_id": m.subscription_id, "code": code}, source=source
            )["status"]
        if status == "pending_approval":
            manager = manager or server.staff_token("office_manager")
            server.api("POST", f"/admin/members/{m.subscription_id}/approve", {}, token=manager)
        members.append(m)
    return members


def publish_alert(server: Server) -> str:
    reviewer = server.staff_token("reviewer")
    known = {a["alert_id"] for a in server.api("GET", "/admin/alerts?status=draft", token=reviewer)["alerts"]}
    server.api("POST", "/reports", REPORT)
    deadline = time.monotonic() + 20
    while True:
        fresh = [a for a in server.api("GET", "/admin/alerts?status=draft", token=reviewer)["alerts"] if a["alert_id"] not in known]
        if fresh:
            alert_id = fresh[0]["alert_id"]
            break
        if time.monotonic() > deadline:
            raise Failure("the report's draft alert did not appear within 20 s")
        time.sleep(0.2)
    server.api("POST", f"/admin/alerts/{alert_id}/publish", {"regions": [REGION]}, token=reviewer)
    return alert_id


def totp(secret_b32: str, at: float | None = None) -> str:
    """RFC 6238 (HMAC-SHA-1, six digits, 30 s), as an authenticator app computes it."""
    import hashlib
    import hmac
    import struct

    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    step = int((time.time() if at is None else at) // 30)
    h = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = h[19] & 15
    return "%06d" % ((struct.unpack(">I", h[off:off + 4])[0] & 0x7FFFFFFF) % 1000000)


@dataclass
class StaffAccount:
    name: str
    role: str
    password: str
    secret: str


def add_staff(server: Server, role: str, name: str) -> StaffAccount:
    """`num staff add`: the password it made and the TOTP secret, read from what it prints."""
    run = subprocess.run(
        [server.num, "staff", "add", "--role", role, "--name", name, "--data-dir", str(server.data_dir)],
        capture_output=True, text=True, timeout=60,
    )
    if run.returncode != 0:
        raise Failure(f"num staff add --role {role} --name {name} failed ({run.returncode}): {run.stderr.strip()}")
    out = run.stdout
    password = re.search(r"^password: (\S+)$", out, re.M)
    secret = re.search(r"^totp secret: ([A-Z2-7]+)$", out, re.M)
    if not password or not secret:
        raise Failure(f"num staff add printed no password or secret: {out!r}")
    return StaffAccount(name, role, password.group(1), secret.group(1))


def submit_report(server: Server) -> tuple[str, str, str]:
    """A report through the API, and its draft: (reference, passphrase, alert id)."""
    reviewer = server.staff_token("reviewer")
    known = {a["alert_id"] for a in server.api("GET", "/admin/alerts?status=draft&limit=200", token=reviewer)["alerts"]}
    answer = server.api("POST", "/reports", REPORT)
    deadline = time.monotonic() + 20
    while True:
        fresh = [a for a in server.api("GET", "/admin/alerts?status=draft&limit=200", token=reviewer)["alerts"] if a["alert_id"] not in known]
        if fresh:
            return answer["reference"], answer["passphrase"], fresh[0]["alert_id"]
        if time.monotonic() > deadline:
            raise Failure("the report's draft alert did not appear within 20 s")
        time.sleep(0.2)


def collect_links(server: Server, alert_id: str, members: list[Member]) -> None:
    for m in members:
        email = server.wait_message(lambda e: key_parts(e)[:3] == [alert_id, m.subscription_id, "email"])
        sms = server.wait_message(lambda e: key_parts(e)[:3] == [alert_id, m.subscription_id, "sms"])
        m.unsubscribe_token = re.search(r"/unsubscribe\?token=([A-Za-z0-9_\-]+)", email["body"]).group(1)
        m.stop_token = re.search(r"/stop/([A-Za-z0-9]+)", sms["body"]).group(1)


# ---------------------------------------------------------------------------------------------------------------------
# One browser.


def make_driver(js: bool, chromium: str, chromedriver: str, log: Path) -> webdriver.Chrome:
    o = webdriver.ChromeOptions()
    o.binary_location = chromium
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--no-default-browser-check", "--disable-extensions", "--disable-background-networking", "--disable-sync",
        "--disable-component-update", "--disable-default-apps", "--hide-scrollbars", "--mute-audio",
        "--lang=en-GB", f"--window-size={PHONE_WIDTH},844",
        # Only the server under test resolves: a request to any other host fails at once and goes nowhere.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        o.add_argument(arg)
    prefs = {"intl.accept_languages": "en-GB,en"}
    if not js:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    o.add_experimental_option("prefs", prefs)
    d = webdriver.Chrome(options=o, service=Service(executable_path=chromedriver, log_output=str(log)))
    d.set_page_load_timeout(30)
    d.set_script_timeout(30)
    set_width(d, PHONE_WIDTH)
    return d


def set_width(d: webdriver.Chrome, width: int) -> None:
    d.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": width, "height": 844, "deviceScaleFactor": 1, "mobile": True}
    )


@dataclass
class Run:
    """One browser, JavaScript on or off, and what it checks."""

    server: Server
    results: Results
    js: bool
    axe_source: str
    out: Path
    languages: list[str]
    chromium: str
    chromedriver: str
    d: webdriver.Chrome | None = None
    spent: dict[str, float] = field(default_factory=dict)
    style_sizes: dict[str, int] = field(default_factory=dict)
    shots: int = 0
    failed: int = 0
    # The reporter's follow-up page is checked where the site has one (the contract names it; another change adds it).
    follow_up: bool = False
    # An alert published and then withdrawn, whose page is checked in every language.
    withdrawn: str = ""

    @property
    def mode(self) -> str:
        return "js on" if self.js else "js off"

    def say(self, line: str) -> None:
        print(f"[{self.mode}] {line}", flush=True)

    def check(self, ok: bool, name: str, detail: str = "") -> bool:
        if not self.results.check(ok, name, detail):
            self.failed += 1
        return ok

    def url(self, path: str, lang: str | None = None) -> str:
        if lang:
            path += ("&" if "?" in path else "?") + "lang=" + lang
        return self.server.base + path

    def path_now(self) -> str:
        u = urllib.parse.urlsplit(self.d.current_url)
        return u.path + ("?" + u.query if u.query else "")

    def timed(self, what: str, fn):
        t = time.monotonic()
        try:
            return fn()
        finally:
            self.spent[what] = self.spent.get(what, 0.0) + time.monotonic() - t

    # -- the checks every page gets --------------------------------------------------------------------------------

    def axe(self) -> dict:
        if not self.js:
            self.d.execute_script(TIMER_SHIM)
        if not self.d.execute_script("return typeof window.axe === 'object'"):
            self.d.execute_script(self.axe_source)
        return self.d.execute_async_script(AXE_RUN, AXE_TAGS)

    def asset_bytes(self, href: str) -> int:
        if href not in self.style_sizes:
            path = urllib.parse.urlsplit(href)
            status, _, raw = self.server.request("GET", path.path + ("?" + path.query if path.query else ""))
            self.style_sizes[href] = len(raw) if status == 200 else 0
        return self.style_sizes[href]

    def page(self, name: str, lang: str, error: bool = False) -> None:
        """Checks the page the browser shows now: call it right after the page loaded, as it presses TAB first.
        `error`: the page answers a refused request (a 4xx status); any other page must answer 200."""
        d = self.d
        path = self.path_now()
        label = f"{name} {path} [{lang}, {self.mode}]"
        result = PageResult(self.mode, lang, name, path)
        failed_before = self.failed
        try:
            self._page(label, name, lang, error, result)
        finally:
            result.failed = self.failed - failed_before
            with self.results.lock:
                self.results.pages.append(result)
            axe = "axe not run" if result.violations is None else f"{result.violations} axe violations"
            self.say(f"{name} {path} [{lang}]: {axe}, {result.failed} checks failed")
        del d

    def _page(self, label: str, name: str, lang: str, error: bool, result: PageResult) -> None:
        d = self.d
        self.timed("tab", lambda: ActionChains(d).send_keys(Keys.TAB).perform())
        facts = self.timed("facts", lambda: d.execute_script(PAGE_FACTS))
        status = facts["status"]
        if error:
            is_page = (status is None or 400 <= status < 500) and facts["type"] == "text/html"
            if not self.check(is_page, f"{label}: a refusal a person can read (a 4xx page)", f"{status} {facts['type']}"):
                return
        elif not self.check((status is None or 200 <= status < 300) and facts["type"] == "text/html", f"{label}: the page is there", f"{status} {facts['type']}"):
            return
        active = facts["active"]
        self.check(
            active is not None and is_quick_exit(active, self.server.base),
            f"{label}: the first tab stop is the quick exit",
            f"it is {describe(active)}",
        )
        if lang in self.languages:
            self.check(
                primary(facts["lang"]) == primary(lang),
                f"{label}: the page is in the language asked for",
                f'<html lang="{facts["lang"]}">',
            )
        css = sum(self.asset_bytes(h) for h in facts["styles"])
        js = sum(self.asset_bytes(h) for h in facts["scripts"])
        weight = facts["html"] + css + js
        with self.results.lock:
            self.results.weights.setdefault(f"{name} [{lang}]", (facts["html"], css, js))
        self.check(weight < WEIGHT_LIMIT, f"{label}: under 50 KB with its stylesheet and script", f"{weight} bytes")
        foreign = sorted({u for u in facts["others"] if u and not u.startswith(self.server.base) and not u.startswith("data:")})
        self.check(not foreign, f"{label}: nothing loaded from another origin", ", ".join(foreign[:3]))

        result.violations = self.axe_check(label)
        # The screenshot shows the page as it first appears, without the focus ring of the TAB above.
        d.execute_script("if (document.activeElement) document.activeElement.blur()")
        size = self.screenshot(name, lang)
        self.check(size["width"] <= PHONE_WIDTH, f"{label}: fits {PHONE_WIDTH} px wide", f"{size['width']:.0f} px wide")
        if self.js and lang == "en":
            set_width(d, NARROW_WIDTH)
            narrow = d.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]["width"]
            set_width(d, PHONE_WIDTH)
            self.check(narrow <= NARROW_WIDTH, f"{label}: fits {NARROW_WIDTH} px wide", f"{narrow:.0f} px wide")
            # The low-light theme, as a device set to dark shows it: its colours are checked (contrast) and shown too.
            d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
            try:
                dark = self.axe_check(f"{label} (low light)")
                self.screenshot(name, "en-dark")
                with self.results.lock:
                    self.results.pages.append(PageResult(self.mode, "en, low light", name, result.path, dark))
            finally:
                d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "light"}]})

    def axe_check(self, label: str) -> int | None:
        """Runs axe-core on the page as it is; the number of elements in violation, None where axe did not run."""
        axe = self.timed("axe", self.axe)
        if "error" in axe:
            self.check(False, f"{label}: axe ran", axe["error"])
            return None
        violations = axe["violations"]
        count = sum(v["count"] for v in violations)
        details = "; ".join(
            f"{v['id']} ({v['impact']}, {v['help']}) at {n['target']}: {n['html']}" for v in violations for n in v["nodes"]
        )
        self.check(count == 0, f"{label}: no axe violation at WCAG 2.2 AA", details)
        return count

    def screenshot(self, name: str, folder_name: str) -> dict:
        """A full-page screenshot, phone-wide; answers the page's size in CSS pixels."""
        d = self.d
        size = d.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": PHONE_WIDTH, "height": max(1, math.ceil(size["height"])), "scale": 1}
        shot = self.timed(
            "screenshot",
            lambda: d.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}),
        )
        folder = self.out / ("js-on" if self.js else "js-off") / folder_name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{slug(name)}.png").write_bytes(base64.b64decode(shot["data"]))
        self.shots += 1
        return size

    def focus_walk(self, name: str, path: str) -> None:
        """WCAG 2.4.11 (focus not obscured): backwards through the page with Shift+TAB, from its last control to its
        first, no control that has the focus is hidden whole behind a sticky or fixed part of the page (the quick
        exit stays at the top of the screen)."""
        d = self.d
        self.timed("load", lambda: d.get(self.url(path)))
        total = d.execute_script(FOCUS_LAST)
        hidden = []
        for _ in range(total):
            where = d.execute_script(FOCUS_HIDDEN)
            if where:
                hidden.append(where)
            ActionChains(d).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
        self.check(
            not hidden,
            f"{name} {path} [en, {self.mode}]: no focused control is hidden behind the quick exit ({total} controls, Shift+TAB)",
            ", ".join(hidden[:5]),
        )

    def visit(self, name: str, path: str, lang: str, error: bool = False) -> None:
        self.timed("load", lambda: self.d.get(self.url(path, lang)))
        self.page(name, lang, error)

    # -- forms -----------------------------------------------------------------------------------------------------

    def fill(self, name: str, value: str) -> None:
        el = self.d.find_element(By.NAME, name)
        if el.tag_name == "select":
            el.find_element(By.CSS_SELECTOR, f"option[value='{value}']").click()
        else:
            el.clear()
            el.send_keys(value)

    def tick(self, name: str, value: str) -> None:
        el = self.d.find_element(By.CSS_SELECTOR, f"input[name='{name}'][value='{value}']")
        if not el.is_selected():
            # Into the middle of the screen first, as a person scrolls: at the top, the sticky quick exit covers it.
            self.d.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
            el.click()
        if not el.is_selected():
            raise Failure(f"the box {name}={value} did not tick")

    def form_of(self, field_name: str | None):
        if field_name:
            return self.d.find_element(By.NAME, field_name).find_element(By.XPATH, "./ancestor::form")
        forms = [f for f in self.d.find_elements(By.TAG_NAME, "form") if f.get_attribute("method").lower() == "post"]
        if not forms:
            raise Failure(f"no form on {self.path_now()}")
        # The page's own form, not the header's (sign out, switches): the last in the main landmark, else the last.
        main = [f for f in forms if f.find_elements(By.XPATH, "./ancestor::main")]
        return (main or forms)[-1]

    def submit(self, field_name: str | None = None) -> None:
        """Presses the submit button of the form that holds the field `field_name` (else the page's main form)."""
        form = self.form_of(field_name)
        self.press(form.find_element(By.CSS_SELECTOR, "button[type=submit],button:not([type]),input[type=submit]"))

    def press(self, button) -> None:
        """Clicks, and waits until the next page has replaced this one."""
        old = self.d.find_element(By.TAG_NAME, "html")
        t = time.monotonic()
        button.click()
        WebDriverWait(self.d, 20).until(lambda _: replaced(old))
        WebDriverWait(self.d, 20).until(lambda d: d.execute_script("return document.readyState") == "complete")
        self.spent["load"] = self.spent.get("load", 0.0) + time.monotonic() - t

    def report_form(self, lang: str, complete: bool = True) -> None:
        self.timed("load", lambda: self.d.get(self.url("/", lang)))
        date = self.d.find_element(By.NAME, "incident.date")
        # A date field takes the date typed in the locale's order; the browser runs in en-GB: day, month, year.
        date.send_keys("07062025")
        self.fill("incident.town", "York")
        self.fill("account", "He would not pay and pushed me against the door. He drove a silver Focus.")
        if complete:
            self.tick("incident.categories", "non_payment")
        else:
            # No category ticked: the server refuses it, as it would a browser that does not check forms itself.
            self.d.execute_script("arguments[0].noValidate = true", self.form_of("incident.town"))
        self.submit("incident.town")

    # -- the pages ---------------------------------------------------------------------------------------------------

    def start(self) -> None:
        self.d = make_driver(self.js, self.chromium, self.chromedriver, self.out / f"chromedriver-{slug(self.mode)}.log")
        # axe-core comes with every page the browser opens (it runs even where the page's own scripts may not).
        self.d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": self.axe_source})
        # The browser runs a page's scripts or not, as this run says.
        self.d.get(SCRIPTED)
        ran = self.d.find_element(By.ID, "x").text == "ran"
        self.check(ran == self.js, f"[{self.mode}] a page's own script {'runs' if self.js else 'does not run'}")
        # axe must find what is there: a page with known faults.
        self.d.get(KNOWN_BAD)
        result = self.axe()
        found = {v["id"] for v in result.get("violations", [])}
        self.check(
            {"label", "image-alt", "html-has-lang"} <= found,
            f"[{self.mode}] axe finds the faults of a page made with them",
            f"found {sorted(found)} {result.get('error', '')}",
        )

    def pages(self, lang: str, alert_id: str, member: Member, verify_id: str) -> None:
        for name, path, error in (
            ("report form", "/", False),
            ("join", "/join", False),
            ("subscriptions (GET)", "/subscriptions", False),
            ("verify", f"/verify?subscription_id={verify_id}", False),
            ("sign-in", SIGN_IN_PAGE, False),
            ("alert", f"/alerts/{alert_id}", False),
            ("unsubscribe confirmation", f"/unsubscribe?token={member.unsubscribe_token}", False),
            ("stop texts confirmation", f"/stop/{member.stop_token}", False),
            ("alert not found", "/alerts/A-0000000000000000", True),
        ) + ((("follow-up", "/follow-up", False),) if self.follow_up else ()) + (
            (("alert withdrawn", f"/alerts/{self.withdrawn}", False),) if self.withdrawn else ()
        ):
            self.step(f"{name} [{lang}]", lambda n=name, p=path, e=error: self.visit(n, p, lang, e))

        # The pages that answer a form.
        def receipt():
            self.report_form(lang)
            self.page("receipt", lang)
            secret = self.d.find_elements(By.CSS_SELECTOR, ".secret")
            self.check(len(secret) == 2, f"receipt [{lang}, {self.mode}]: shows the reference and the passphrase", f"{len(secret)} found")

        def refused():
            self.report_form(lang, complete=False)
            self.page("report refused", lang, error=True)
            self.error_markup(f"report refused [{lang}, {self.mode}]")
            self.check(
                "incident.categories" not in self.d.find_element(By.TAG_NAME, "body").text,
                f"report refused [{lang}, {self.mode}]: names no internal field",
            )

        def stop_texts():
            self.timed("load", lambda: self.d.get(self.url(f"/stop/{member.stop_token}", lang)))
            self.submit()
            self.page("texts stopped", lang)

        def unsubscribe():
            self.timed("load", lambda: self.d.get(self.url(f"/unsubscribe?token={member.unsubscribe_token}", lang)))
            self.submit("token")
            self.page("unsubscribed", lang)

        def join_refused():
            self.timed("load", lambda: self.d.get(self.url("/join", lang)))
            self.submit("email")
            self.page("join refused", lang, error=True)
            self.error_markup(f"join refused [{lang}, {self.mode}]")

        def sign_in_refused():
            self.timed("load", lambda: self.d.get(self.url(SIGN_IN_PAGE, lang)))
            self.submit("email")
            self.page("sign-in refused", lang, error=True)
            self.error_markup(f"sign-in refused [{lang}, {self.mode}]")

        for name, fn in (
            ("receipt", receipt),
            ("report refused", refused),
            ("join refused", join_refused),
            ("sign-in refused", sign_in_refused),
            ("texts stopped", stop_texts),
            ("unsubscribed", unsubscribe),
        ):
            self.step(f"{name} [{lang}]", fn)

    def error_markup(self, label: str) -> None:
        """A refused form sums its errors up at the top, each a link to its field, and says each beside its field,
        where the field's description points to it (docs/web.md)."""
        facts = self.d.execute_script(ERROR_MARKUP)
        self.check(facts["summary"] > 0, f"{label}: the errors are summed up at the top (#errors)")
        self.check(not facts["dead_links"], f"{label}: each error in the summary links to its field", ", ".join(facts["dead_links"]))
        self.check(facts["beside"] > 0, f"{label}: an error stands beside its field (p.error)")
        self.check(not facts["unlinked"], f"{label}: each error beside a field is in the field's description", ", ".join(facts["unlinked"]))

    def quick_exit(self, alert_id: str) -> None:
        """The quick exit leaves for its neutral site when clicked, and (where scripts run) on Escape pressed three
        times. The site does not resolve here: what counts is where the browser went."""
        d = self.d
        for how in ("click", "escape") if self.js else ("click",):
            d.get(self.url(f"/alerts/{alert_id}"))
            links = d.find_elements(By.ID, "quick-exit") or d.find_elements(By.CSS_SELECTOR, "a.exit")
            if not self.check(bool(links), f"[{self.mode}] the alert page has a quick exit (#quick-exit)"):
                return
            target = urllib.parse.urlsplit(links[0].get_attribute("href")).hostname
            if how == "click":
                links[0].click()
            else:
                d.find_element(By.TAG_NAME, "h1").click()
                ActionChains(d).send_keys(Keys.ESCAPE).send_keys(Keys.ESCAPE).send_keys(Keys.ESCAPE).perform()
            deadline = time.monotonic() + 5
            while urllib.parse.urlsplit(d.current_url).hostname != target and time.monotonic() < deadline:
                time.sleep(0.1)
            self.check(
                urllib.parse.urlsplit(d.current_url).hostname == target and target != self.server.host,
                f"[{self.mode}] the quick exit leaves for {target} on {how}",
                f"the browser is at {d.current_url}",
            )

    def step(self, name: str, fn, retry: bool = True) -> bool:
        try:
            fn()
            return True
        except Exception as e:  # noqa: BLE001: any error of a step is that step's failure, and the run goes on
            detail = str(e).splitlines()[0] if str(e) else type(e).__name__
            if retry and isinstance(e, WebDriverException) and any(w in detail for w in STALE):
                # The page changed under the driver between two of its commands: once more, from the start.
                self.say(f"{name}: the page changed under the driver ({detail}); once more")
                return self.step(name, fn, retry=False)
            where = "".join(traceback.format_tb(e.__traceback__, limit=-3))
            self.check(False, f"[{self.mode}] {name}", f"{detail}\n{where}")
            self.say(f"{name}: failed: {detail}")
            return False

    # -- the members' journey --------------------------------------------------------------------------------------

    def journey(self, alert_id: str) -> None:
        """join → verify → approval → sign in → the alert in the members' area → sign out, through the pages only.
        With scripts on, the member joins by email; with scripts off, by mobile and text."""
        s, d = self.server, self.d
        who = "on" if self.js else "off"
        contact, channel = ("email", "email") if self.js else ("phone", "sms")
        value = f"journey-js-{who}@example.org" if self.js else "07700 900877"
        label = f"journey [{self.mode}]"

        self.timed("load", lambda: d.get(self.url("/join")))
        self.page("join", "en")
        self.fill(contact, value)
        self.tick("regions", REGION)
        self.tick("channels", channel)
        after = len(s.outbox())
        self.submit(contact)
        code = s.code_for(value, after)
        self.page("verify (after joining)", "en")
        fields = d.find_elements(By.NAME, "subscription_id")
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(d.current_url).query).get("subscription_id", [])
        sub = fields[0].get_attribute("value") if fields else (query[0] if query else "")
        if not self.check(bool(sub), f"{label}: the verify page carries the subscription id"):
            return
        self.fill("code", code)
        self.submit("code")
        self.page("verified, awaiting approval", "en")
        manager = s.staff_token("office_manager")
        pending = [m["subscription_id"] for m in s.api("GET", "/admin/members?status=pending_approval", token=manager)["members"]]
        self.check(sub in pending, f"{label}: after verifying, the request waits for approval", f"{sub} not in {pending}")
        # Before approval, no sign-in code is sent.
        self.timed("load", lambda: d.get(self.url(SIGN_IN_PAGE)))
        self.fill(contact, value)
        after = len(s.outbox())
        self.submit(contact)
        time.sleep(1)
        early = [e for e in s.outbox()[after:] if contact_matches(e, value)]
        self.check(not early, f"{label}: a request not yet approved gets no sign-in code", f"{len(early)} messages")
        after = len(s.outbox())
        s.api("POST", f"/admin/members/{sub}/approve", {}, token=manager)
        try:
            s.wait_message(lambda e: contact_matches(e, value), after)
            told = True
        except Failure:
            told = False
        self.check(told, f"{label}: the member is told by {channel} when approved")

        self.timed("load", lambda: d.get(self.url(SIGN_IN_PAGE)))
        self.page("sign-in", "en")
        self.fill(contact, value)
        after = len(s.outbox())
        self.submit(contact)
        code = s.code_for(value, after)
        self.page("sign-in code", "en")
        self.fill("code", code)
        self.submit("code")
        self.say(f"signed in, now at {self.path_now()}")
        self.timed("load", lambda: d.get(self.url(MEMBERS_AREA)))
        self.page("members' area", "en")
        links = [a for a in d.find_elements(By.CSS_SELECTOR, "main a[href]") if alert_id in (a.get_attribute("href") or "")]
        self.check(bool(links), f"{label}: the members' area lists the published alert {alert_id}")
        if links:
            self.press(links[0])
            self.page("members' alert", "en")
            self.check(alert_id in d.current_url, f"{label}: the alert opens from the members' area", d.current_url)
        # The checker: the published alert's number, written another way, finds it.
        self.timed("load", lambda: d.get(self.url(CHECK_PAGE)))
        self.page("check", "en")
        self.fill("phone", "+44 7700 900456")
        self.submit("phone")
        self.page("check result", "en")
        found = [a for a in d.find_elements(By.CSS_SELECTOR, "main a[href]") if alert_id in (a.get_attribute("href") or "")]
        self.check(bool(found), f"{label}: the checker finds the published alert by its offender's number")
        for lang in self.languages:
            if lang != "en":
                self.visit("members' area", MEMBERS_AREA, lang)
                self.visit("check", CHECK_PAGE, lang)
            self.visit("settings", SETTINGS_PAGE, lang)
        # Signing out ends the session: the members' area asks to sign in again.
        self.timed("load", lambda: d.get(self.url(MEMBERS_AREA)))
        self.submit_form_to("/members/sign-out")
        self.page("signed out", "en")
        self.timed("load", lambda: d.get(self.url(MEMBERS_AREA)))
        still = [a for a in d.find_elements(By.CSS_SELECTOR, "main a[href]") if alert_id in (a.get_attribute("href") or "")]
        self.check(not still, f"{label}: after signing out, the members' area is closed", d.current_url)


    # -- the staff console ---------------------------------------------------------------------------------------------

    def console_page(self, name: str, error: bool = False) -> None:
        """A page of the staff console as it is now: its status, nothing from another origin, the weight, axe-core at
        WCAG 2.2 AA, 390 px wide (screenshot in console/). The console has no quick exit: it is not a reporter's page."""
        d = self.d
        path = self.path_now()
        label = f"console {name} {path} [en, {self.mode}]"
        result = PageResult(self.mode, "en (console)", f"console {name}", path)
        failed_before = self.failed
        try:
            facts = d.execute_script(PAGE_FACTS)
            status = facts["status"]
            if error:
                self.check(status is not None and 400 <= status < 500 and facts["type"] == "text/html", f"{label}: a refusal a person can read", f"{status}")
            elif not self.check((status is None or 200 <= status < 300) and facts["type"] == "text/html", f"{label}: the page is there", f"{status} {facts['type']}"):
                return
            self.check(primary(facts["lang"]) == "en", f"{label}: the page says its language", facts["lang"])
            css = sum(self.asset_bytes(h) for h in facts["styles"])
            js = sum(self.asset_bytes(h) for h in facts["scripts"])
            weight = facts["html"] + css + js
            with self.results.lock:
                self.results.weights.setdefault(f"console {name} [en]", (facts["html"], css, js))
            self.check(weight < WEIGHT_LIMIT, f"{label}: under 50 KB with its stylesheets", f"{weight} bytes")
            self.check(not facts["scripts"], f"{label}: no script at all", ", ".join(facts["scripts"]))
            foreign = sorted({u for u in facts["others"] if u and not u.startswith(self.server.base) and not u.startswith("data:")})
            self.check(not foreign, f"{label}: nothing loaded from another origin", ", ".join(foreign[:3]))
            result.violations = self.axe_check(label)
            size = self.screenshot(name, "console")
            self.check(size["width"] <= PHONE_WIDTH, f"{label}: fits {PHONE_WIDTH} px wide", f"{size['width']:.0f} px wide")
        finally:
            result.failed = self.failed - failed_before
            with self.results.lock:
                self.results.pages.append(result)
            self.say(f"console {name} {path}: {result.violations} axe violations, {result.failed} checks failed")

    def console_sign_in(self, a: StaffAccount) -> bool:
        d = self.d
        d.delete_all_cookies()
        self.timed("load", lambda: d.get(self.url("/staff/")))
        self.check(self.path_now() == "/staff/sign-in", f"console [{self.mode}]: /staff/ asks a signed-out browser to sign in", self.path_now())
        self.console_page("sign in")
        self.fill("name", a.name)
        self.fill("password", a.password)
        # A code near the end of its 30 s could turn stale in flight: wait for the next one then.
        if time.time() % 30 > 26:
            time.sleep(30 - time.time() % 30 + 0.5)
        self.fill("code", totp(a.secret))
        self.submit("code")
        cookies = {c["name"]: c for c in d.get_cookies()}
        c = cookies.get("num_staff", {})
        self.check(
            bool(c) and c.get("httpOnly") and c.get("sameSite") == "Strict" and c.get("path") == "/staff",
            f"console [{self.mode}]: {a.role} signs in with password and code; the session cookie is HttpOnly, SameSite=Strict, Path=/staff",
            f"{self.path_now()} {c}",
        )
        if self.path_now() != "/staff/":
            return False
        self.console_page(f"start ({a.role})")
        sections = [e.text for e in d.find_elements(By.CSS_SELECTOR, "header nav[aria-label=Sections] a")]
        expected = {"reviewer": ["Review"], "caseworker": ["Cases"], "office_manager": ["Members", "Help desk"],
                    "admin": ["Review", "Cases", "Members", "Help desk", "Audit"]}[a.role]
        self.check(sections == expected, f"console [{self.mode}]: a {a.role} sees only its sections", f"{sections}")
        return True

    def console(self) -> None:
        """Per role, through the console's pages only: a reviewer publishes a draft and sees the delivery counts; a
        caseworker answers a reporter; an office manager approves a member and is refused a report by its URL; an
        admin checks the audit chain."""
        s, d = self.server, self.d
        # A fresh tag per run of the journey: a run repeated after a WebDriver race must not meet the staff accounts
        # the first run made.
        tag = f"{'on' if self.js else 'off'}{next(CONSOLE_RUNS)}"
        reference, passphrase, alert_id = submit_report(s)

        reviewer = add_staff(s, "reviewer", f"rita-{tag}")
        if self.console_sign_in(reviewer):
            self.timed("load", lambda: d.get(self.url("/staff/review")))
            self.console_page("review queue")
            links = [a for a in d.find_elements(By.CSS_SELECTOR, "main a[href]") if (a.get_attribute("href") or "").endswith(f"/staff/review/{alert_id}")]
            if self.check(bool(links), f"console [{self.mode}]: the queue lists the new draft {alert_id}"):
                self.press(links[0])
                self.console_page("review draft")
                self.check(d.find_element(By.ID, "r-" + REGION).is_selected(), f"console [{self.mode}]: the suggested region is ticked")
                self.submit("summary")
                self.check(self.path_now() == f"/staff/review/{alert_id}/sent", f"console [{self.mode}]: publishing leads to the delivery counts", self.path_now())
                self.console_page("deliveries")
                deadline = time.monotonic() + 30
                counts = ""
                while time.monotonic() < deadline:
                    counts = d.find_element(By.ID, "counts").text
                    m = re.match(r"(\d+) sent · (\d+) waiting · (\d+) failed", counts)
                    if m and int(m.group(1)) > 0 and int(m.group(2)) == 0:
                        break
                    time.sleep(1)
                    self.timed("load", lambda: d.get(self.url(f"/staff/review/{alert_id}/sent")))
                self.check(bool(re.match(r"[1-9]\d* sent · 0 waiting", counts)), f"console [{self.mode}]: the reviewer sees the alert sent", counts)
                self.console_page("deliveries done")
                status = s.api("GET", f"/admin/alerts/{alert_id}", token=s.staff_token("reviewer"))["status"]
                self.check(status == "published", f"console [{self.mode}]: the API says published", status)

        # The reporter changes a consent at the follow-up: the case page shows the history.
        s.api("POST", "/follow-up/consent", {"reference": reference, "passphrase": passphrase, "consent": {"caseworker_contact": True}})
        caseworker = add_staff(s, "caseworker", f"cass-{tag}")
        if self.console_sign_in(caseworker):
            self.timed("load", lambda: d.get(self.url("/staff/cases?view=open")))
            self.console_page("cases")
            self.timed("load", lambda: d.get(self.url(f"/staff/cases/{reference}")))
            self.console_page("no case yet")
            self.submit_form_to(f"/staff/cases/{reference}/open")
            self.console_page("case")
            history = [e.text for e in d.find_elements(By.CSS_SELECTOR, "ol#consent-history li")]
            self.check(any("caseworker contact yes" in h for h in history), f"console [{self.mode}]: the case shows the consent history", f"{history}")
            reply = f"Hello, this is the caseworker ({tag}). Are you safe to talk tomorrow?"
            self.fill("text", reply)
            self.submit("text")
            thread = [e.text for e in d.find_elements(By.CSS_SELECTOR, "ol#messages li")]
            self.check(any(reply in t for t in thread), f"console [{self.mode}]: the caseworker's reply is in the thread", f"{thread}")
            self.console_page("case with reply")
            seen = s.api("POST", "/follow-up", {"reference": reference, "passphrase": passphrase})
            self.check(any(m.get("text") == reply for m in seen.get("messages", [])), f"console [{self.mode}]: the reporter reads the reply at the follow-up", f"{seen.get('messages')}")
            self.fill("reason", "Checking the safe contact hours before calling")
            self.submit("reason")
            self.console_page("reporter's details")

        manager = add_staff(s, "office_manager", f"olive-{tag}")
        value = f"console-{tag}@example.org"
        after = len(s.outbox())
        source = "127.0.0.90" if self.js else "127.0.0.91"
        sub = s.api("POST", "/subscriptions", {"email": value, "regions": [REGION], "channels": ["email"]}, source=source)["subscription_id"]
        s.api("POST", "/subscriptions/verify", {"subscription_id": sub, "code": s.code_for(value, after)}, source=source)
        if self.console_sign_in(manager):
            self.timed("load", lambda: d.get(self.url("/staff/members")))
            self.console_page("membership requests")
            self.submit_form_to(f"/staff/members/{sub}/approve")
            left = d.find_elements(By.XPATH, f"//h2[text()='{sub}']")
            self.check(not left, f"console [{self.mode}]: the approved request leaves the queue")
            found = s.api("GET", "/admin/members?status=pending_approval", token=s.staff_token("office_manager"))["members"]
            self.check(sub not in [m["subscription_id"] for m in found], f"console [{self.mode}]: the API no longer lists {sub} as waiting")
            self.timed("load", lambda: d.get(self.url("/staff/helpdesk")))
            self.console_page("help desk")
            self.fill("email", value)
            self.fill("reason", "The member phoned: no alerts yet")
            self.submit("reason")
            self.console_page("help desk found")
            self.check(sub in d.find_element(By.ID, "found").text, f"console [{self.mode}]: the help desk finds the member by exact contact")
            self.timed("load", lambda: d.get(self.url(f"/staff/cases/{reference}")))
            self.console_page("report refused to an office manager", error=True)
            self.check(self.d.execute_script(PAGE_FACTS)["status"] == 403, f"console [{self.mode}]: an office manager opening a report by URL gets 403")

        admin = add_staff(s, "admin", f"ada-{tag}")
        if self.console_sign_in(admin):
            self.timed("load", lambda: d.get(self.url(f"/staff/audit?person=olive-{tag}")))
            self.console_page("audit log")
            log = d.find_element(By.TAG_NAME, "main").text
            self.check("denied:read case" in log, f"console [{self.mode}]: the log shows the office manager's refused read", log[:300])
            self.submit_form_to("/staff/audit/verify")
            self.console_page("chain check")
            verdict = d.find_element(By.ID, "verdict").text
            self.check(verdict.startswith("The audit log is intact"), f"console [{self.mode}]: the admin checks the chain", verdict)
            self.submit_form_to("/staff/sign-out")
            self.console_page("signed out")
            self.timed("load", lambda: d.get(self.url("/staff/audit")))
            self.check(self.path_now() == "/staff/sign-in", f"console [{self.mode}]: after signing out the console asks to sign in", self.path_now())

    def submit_form_to(self, action: str) -> None:
        forms = [f for f in self.d.find_elements(By.TAG_NAME, "form") if urllib.parse.urlsplit(f.get_attribute("action")).path == action]
        if not forms:
            raise Failure(f"no form posts to {action} on {self.path_now()}")
        self.press(forms[0].find_element(By.CSS_SELECTOR, "button,input[type=submit]"))

    def close(self) -> None:
        if self.d:
            self.d.quit()


def contact_matches(e: dict, value: str) -> bool:
    dest = e.get("to", "")
    if "@" in value:
        return dest.lower() == value.lower()
    return re.sub(r"\D", "", dest).endswith(re.sub(r"\D", "", value)[-9:])


def is_quick_exit(active: dict, base: str) -> bool:
    href = active.get("href", "")
    leaves = href.startswith("http") and not href.startswith(base)
    named = "exit" in (active.get("id", "") + " " + active.get("cls", "")).lower()
    return active.get("tag") == "A" and leaves and named


def describe(active: dict | None) -> str:
    if not active:
        return "nothing (no focusable element)"
    return f"<{active['tag'].lower()} id={active['id']!r} class={active['cls']!r} href={active['href']!r}> {active['text']!r}"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--data-dir", required=True, type=Path)
    p.add_argument("--num", required=True)
    p.add_argument("--axe", required=True, type=Path)
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--chromium", required=True)
    p.add_argument("--chromedriver", required=True)
    a = p.parse_args()
    started = time.monotonic()
    server = Server(a.url.rstrip("/"), a.data_dir, a.num)
    results = Results()
    a.out.mkdir(parents=True, exist_ok=True)

    # Which languages the site offers: the report form asked in each.
    offered = ["en"]
    for lang in LANGUAGES[1:]:
        _, _, raw = server.request("GET", f"/?lang={lang}")
        if primary(html_lang(raw)) == primary(lang):
            offered.append(lang)
    print(f"languages the pages offer: {' '.join(offered)}", flush=True)
    results.check(offered == LANGUAGES, "the pages offer every language", f"missing {sorted(set(LANGUAGES) - set(offered))}")

    # The set-up: a member for each language and browser (each ends a subscription), one more whose verify page is
    # shown, and a published alert they all get.
    runs = [
        Run(server, results, js, a.axe.read_text(encoding="utf-8"), a.out, offered, a.chromium, a.chromedriver)
        for js in (True, False)
    ]
    # The contract names the reporter's follow-up page: a site without it fails here rather than passing unchecked.
    status = server.request("GET", "/follow-up")[0]
    if status != 200:
        raise SystemExit(f"GET /follow-up answered {status}: the reporter's follow-up page is missing")
    for run in runs:
        run.follow_up = True
    try:
        members = subscribe_members(server, len(runs) * len(offered) + 1)
        alert_id = publish_alert(server)
        collect_links(server, alert_id, members)
        # A second alert, published then withdrawn: its page says so in every language.
        withdrawn = publish_alert(server)
        server.api("POST", f"/admin/alerts/{withdrawn}/withdraw", {"reason": "A test of the withdrawn page."}, token=server.staff_token("reviewer"))
        for run in runs:
            run.withdrawn = withdrawn
    except Failure as e:
        results.check(False, "set-up through the API", str(e))
        return finish(results, a.out, started)
    print(f"set-up: {len(members)} members, alert {alert_id} published and delivered ({time.monotonic() - started:.1f} s)", flush=True)

    def drive(i: int, run: Run) -> None:
        if not run.step("browser start", run.start):
            return
        for j, lang in enumerate(offered):
            run.pages(lang, alert_id, members[i * len(offered) + j], members[-1].subscription_id)
        run.step("journey", lambda: run.journey(alert_id))
        run.step("staff console", run.console)
        run.step("quick exit", lambda: run.quick_exit(alert_id))
        if run.js:
            for name, path in (("report form", "/"), ("join", "/join")):
                run.step(f"focus walk {name}", lambda n=name, p=path: run.focus_walk(n, p))
        run.say(f"{run.shots} screenshots; seconds spent: " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(run.spent.items())))

    threads = [threading.Thread(target=run.step, args=(f"run {run.mode}", lambda i=i, run=run: drive(i, run))) for i, run in enumerate(runs)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for run in runs:
            run.close()
    return finish(results, a.out, started)


def finish(results: Results, out: Path, started: float) -> int:
    print(f"\npage weights in bytes (HTML + stylesheet = sum; + script where there is one), limit {WEIGHT_LIMIT}:")
    for name, (html, css, js) in sorted(results.weights.items()):
        print(f"  weight {name}: {html} + {css} = {html + css}" + (f"; + {js} = {html + css + js}" if js else ""))
    print("\naxe-core at WCAG 2.0, 2.1 and 2.2, A and AA, per page:")
    order = {lang: i for i, lang in enumerate(LANGUAGES)}
    checked = 0
    for r in sorted(results.pages, key=lambda r: (r.mode, order.get(r.lang, 99), r.name)):
        if r.violations is None:
            print(f"axe {r.path} ({r.name}, {r.lang}, {r.mode}): not run, the page failed first")
        else:
            checked += 1
            print(f"axe {r.path} ({r.name}, {r.lang}, {r.mode}): {r.violations} violations")
    total = sum(r.violations or 0 for r in results.pages)
    print(f"axe total: {checked} pages checked, {total} violations")
    if results.failures:
        print(f"\n{len(results.failures)} checks failed:")
        for f in results.failures:
            print(f"  {f}")
    print(f"\nscreenshots ({PHONE_WIDTH} px wide) and logs: {out}")
    print(f"browser tests took {time.monotonic() - started:.1f} s")
    print(f"browser: {results.passed} passed, {len(results.failures)} failed", flush=True)
    return 1 if results.failures else 0


if __name__ == "__main__":
    sys.exit(main())
