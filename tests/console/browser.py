"""The console's browser tests' harness: a real kdad and Debian's headless Chromium.

Each test (tests/console/*_test.py, label console) runs its suite through main():
it starts kdads with their HTTP API on a free loopback port (tests/api's Desk,
plain HTTP), and Chromium through python3-selenium and /usr/bin/chromedriver,
each with its own temporary directory and profile, so tests run side by side.
Browser signs in with a token (form#signin), follows the nav (a[data-nav]),
waits for a view's section[data-view][data-ready="true"], runs axe-core
(tests/console/node_modules, `npm ci`) and saves screenshots under
<build>/tests/console/screenshots/. Chromium and every kdad are stopped
whatever happens. What the tests need but is not installed fails the test with
one line saying so: CI installs everything (scripts/install-deps.sh), and a
skip would hide a broken install.
"""

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

sys.dont_write_bytecode = True  # imported from the source tree: leave no __pycache__ there
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
from api_desk import Desk  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
INSTALL = "run scripts/install-deps.sh"
AXE = os.path.join(HERE, "node_modules", "axe-core", "axe.min.js")
# Browser console lines that mean the page is broken, whatever the view:
# something the Content-Security-Policy blocked, or an exception nobody caught.
BROKEN = re.compile(r"Content.Security.Policy|Uncaught|SyntaxError|is not defined|Failed to load module")


class Missing(Exception):
    """Something the browser tests need is not installed (one line)."""


def prerequisites(axe_path):
    try:
        import selenium  # noqa: F401
    except ImportError:
        raise Missing(f"python3-selenium is not importable by {sys.executable}; {INSTALL}")
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            raise Missing(f"{path} is missing (Debian package {package}); {INSTALL}")
    if not os.path.isfile(axe_path):
        raise Missing(f"{axe_path} is missing (axe-core from tests/console/package-lock.json); {INSTALL}")


class Browser:
    """One headless Chromium on a desk's console."""

    def __init__(self, desk, work, shots, axe_path=AXE, size=(1280, 800), name="chromium"):
        self.desk, self.shots, self.axe_path, self.size = desk, shots, axe_path, size
        self.base = f"http://127.0.0.1:{desk.http_port}"
        self.dir = tempfile.mkdtemp(prefix=f"{name}.", dir=work)
        self.driver = None
        self.console = []   # the browser's console lines, kept across reads
        self.perf = []      # Chromium's performance log (network events), kept across reads

    def start(self):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", f"--window-size={self.size[0]},{self.size[1]}",
                  f"--user-data-dir={os.path.join(self.dir, 'profile')}"):
            options.add_argument(a)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        log = os.path.join(self.dir, "chromedriver.log")
        try:
            service = Service(CHROMEDRIVER, log_output=log)  # selenium >= 4.11
        except TypeError:
            service = Service(CHROMEDRIVER, log_path=log)    # Debian 12's 4.8
        self.driver = webdriver.Chrome(service=service, options=options)
        self.driver.set_script_timeout(60)
        self.driver.execute_cdp_cmd("Network.enable", {})
        self.resize(*self.size)
        return self

    def quit(self):
        if self.driver is not None:
            try:
                self.driver.quit()
            except Exception as e:  # noqa: BLE001  (a dead chromedriver: nothing left to quit)
                print(f"browser: quit: {e}")
            self.driver = None

    # --- looking and waiting -------------------------------------------------
    def q(self, css):
        """The first element css matches, or None."""
        found = self.driver.find_elements("css selector", css)
        return found[0] if found else None

    def qa(self, css):
        return self.driver.find_elements("css selector", css)

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def wait_for(self, what, fn, timeout=30):
        """Polls fn() until it returns something true; returns it, or fails naming what (with a screenshot)."""
        from selenium.common.exceptions import StaleElementReferenceException
        deadline = time.time() + timeout
        while True:
            try:
                got = fn()
            except StaleElementReferenceException:
                got = None
            if got:
                return got
            if time.time() > deadline:
                shot = self.shot("failed-" + re.sub(r"[^A-Za-z0-9]+", "-", what)[:60])
                raise AssertionError(f"timed out after {timeout} s waiting for {what} (screenshot {shot})\n"
                                     f"views: {self.views_state()}, location {self.driver.current_url}\n"
                                     f"page text: {self.page_text()[:1500]}")
            time.sleep(0.05)

    def click(self, element, timeout=30):
        """Clicks an element after scrolling it to the middle of the window, where no sticky header covers
        it. Given a css selector, waits for a shown element to match, and finds it again if the view draws it
        anew before the click lands."""
        from selenium.common.exceptions import StaleElementReferenceException
        if not isinstance(element, str):
            self.js("arguments[0].scrollIntoView({block: 'center', inline: 'nearest'})", element)
            element.click()
            return element

        def clicked():
            try:
                e = self.displayed(element)
                if e is None or not e.is_enabled():
                    return None
                self.js("arguments[0].scrollIntoView({block: 'center', inline: 'nearest'})", e)
                e.click()
                return True
            except StaleElementReferenceException:
                return None
        self.wait_for(f"{element} to click", clicked, timeout)

    def type(self, css, text, timeout=30):
        """Replaces the text of the field css matches, again if the view draws it anew meanwhile."""
        from selenium.common.exceptions import StaleElementReferenceException

        def typed():
            try:
                e = self.displayed(css)
                if e is None:
                    return None
                e.clear()
                e.send_keys(text)
                return e if e.get_attribute("value") == text else None
            except StaleElementReferenceException:
                return None
        return self.wait_for(f"{css} to hold what was typed", typed, timeout)

    def views_state(self):
        """The view sections in the page, each as its data-view and data-ready (for failure messages)."""
        try:
            return self.js("return [...document.querySelectorAll('section[data-view]')].map(s => "
                           "`${s.dataset.view}:${s.dataset.ready}${s.closest('main') ? '' : ' (outside main)'}`)")
        except Exception:  # noqa: BLE001
            return "(no page)"

    def page_text(self):
        try:
            return self.js("return document.body ? document.body.innerText : ''") or ""
        except Exception:  # noqa: BLE001
            return "(no page)"

    def displayed(self, css):
        e = self.q(css)
        return e if e is not None and e.is_displayed() else None

    # --- views -----------------------------------------------------------------
    def open(self, path="/"):
        self.driver.get(self.base + path)

    def sign_in(self, token, timeout=15):
        """Signs in through form#signin; returns #whoami's text."""
        if self.q("form#signin") is None:
            self.open("/")
        field = self.wait_for("the sign-in form (form#signin input#signin-token)",
                              lambda: self.displayed("form#signin input#signin-token"), timeout)
        assert field.get_attribute("type") == "password", "input#signin-token is not type=password"
        field.clear()
        field.send_keys(token)
        self.q("button#signin-submit").click()
        who = self.wait_for("#whoami after signing in", lambda: self.displayed("#whoami"), timeout)
        self.wait_for("form#signin to go away", lambda: self.displayed("form#signin") is None, timeout)
        return who.text

    def nav(self):
        """The view ids the nav offers (a[data-nav] shown)."""
        return [a.get_attribute("data-nav") for a in self.qa("a[data-nav]") if a.is_displayed()]

    def mark(self):
        """Counts data-ready="true" settings from now on (a MutationObserver); returns the count so far."""
        return self.js("""
            if (window.__kdaReady === undefined) {
              window.__kdaReady = 0;
              new MutationObserver(ms => { for (const m of ms)
                  if (m.target.getAttribute('data-ready') === 'true') window.__kdaReady++; })
                .observe(document.documentElement, {subtree: true, attributes: true, attributeFilter: ['data-ready']});
            }
            return window.__kdaReady;""")

    def ready(self, view):
        return self.q(f'main section[data-view="{view}"][data-ready="true"]')

    def wait_ready(self, view, since=None, timeout=30):
        """Waits for the view's section to be ready; with since (mark()'s count), ready again after it."""
        def done():
            if not self.ready(view):
                return None
            if since is None:
                return True
            count = self.js("return window.__kdaReady")
            return count is None or count > since  # None: the page was loaded anew, so ready is new too
        self.wait_for(f'section[data-view="{view}"][data-ready="true"]', done, timeout)
        return self.ready(view)

    def go(self, view, params=None, timeout=30):
        """Opens a view: with params through its route (#/view?a=b), else by clicking its nav link (unless it
        is the view shown)."""
        if params is None and self.q(f'main section[data-view="{view}"]') is not None:
            return self.wait_ready(view, None, timeout)  # shown already (its own link would change nothing)
        since = self.mark()
        if params is not None:
            self.js("location.hash = arguments[0]", f"#/{view}?{urllib.parse.urlencode(params)}")
        else:
            link = self.q(f'a[data-nav="{view}"]')
            assert link is not None and link.is_displayed(), f'no nav link a[data-nav="{view}"]; the nav has {self.nav()}'
            link.click()
        return self.wait_ready(view, since, timeout)

    def answer_dialog(self, timeout=3):
        """Clicks the OK of a modal confirmation (<dialog open>) if one opens within timeout (0: is open now).

        Always False, so that a wait_for condition can answer a dialog and go on waiting."""
        deadline = time.time() + timeout
        while (dialog := self.displayed("dialog[open]")) is None:
            if time.time() > deadline:
                return False
            time.sleep(0.05)
        ok = dialog.find_elements("css selector", 'button[data-action="dialog-ok"]')  # lib/dom.js confirmDialog
        if not ok:
            buttons = [b for b in dialog.find_elements("css selector", "button") if b.is_displayed()]
            ok = [b for b in buttons if not re.search(r"cancel|close|no\b|keep", b.text, re.I)]
        assert ok, f"a dialog without an OK button: {dialog.text!r}"
        ok[-1].click()
        self.wait_for("the dialog to close", lambda: self.displayed("dialog[open]") is None, 10)
        return False

    def notices(self, kind=None):
        css = "#notices .notice" + (f".notice-{kind}" if kind else "")
        return [e.text for e in self.qa(css)]

    # --- evidence --------------------------------------------------------------
    def shot(self, name, show=None, notices=True):
        """Saves a screenshot as <shots>/<name>.png. For the pictures the
        docs show (tests/docs/console_images_test.py): `show` scrolls that
        element into the middle first, and notices=False dismisses the
        shell's notices, which would cover the view."""
        os.makedirs(self.shots, exist_ok=True)
        path = os.path.join(self.shots, f"{name}.png")
        try:
            if show:
                self.js("const e = document.querySelector(arguments[0]);"
                        "if (e) e.scrollIntoView({block: 'center'});", show)
            if not notices:
                self.js("for (const n of document.querySelectorAll('#notices .notice')) n.remove();")
            self.settle()
            self.driver.save_screenshot(path)
        except Exception as e:  # noqa: BLE001
            return f"(none: {e})"
        return path

    def resize(self, width, height):
        """Makes the page's viewport width x height (the window is larger by the browser's own frame)."""
        self.driver.set_window_size(width, height)
        inner = self.js("return [window.innerWidth, window.innerHeight]")
        if inner != [width, height]:
            self.driver.set_window_size(2 * width - inner[0], 2 * height - inner[1])

    def settle(self, timeout=8):
        """Waits for the page's finite CSS animations and transitions (a notice fading in) to end, so that
        axe and screenshots see the colours the page settles on, not a frame halfway."""
        deadline = time.time() + timeout
        while time.time() < deadline and self.js("""
                return document.getAnimations().some(a => a.playState === 'running'
                    && a.effect && a.effect.getComputedTiming().endTime !== Infinity);"""):
            time.sleep(0.05)

    def axe(self, name):
        """Runs axe-core on the document; fails listing every serious or critical violation with its nodes."""
        self.settle()
        if not self.js("return typeof window.axe === 'object'"):
            with open(self.axe_path, encoding="utf-8") as f:
                self.js(f.read())
        out = self.driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            axe.run(document, {resultTypes: ['violations']})
               .then(r => done(JSON.stringify(r.violations)), e => done(JSON.stringify({error: String(e)})));""")
        result = json.loads(out)
        assert not isinstance(result, dict), f"axe-core on {name}: {result.get('error')}"
        bad = [v for v in result if v.get("impact") in ("serious", "critical")]
        lines = []
        for v in bad:
            lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} nodes) {v.get('helpUrl', '')}")
            for n in v["nodes"][:10]:
                lines.append(f"      {' '.join(n.get('target', []))}: {n.get('failureSummary', '').splitlines()[-1:]}"
                             f" {n.get('html', '')[:160]}")
        others = sorted({f"{v['id']}({v.get('impact')})" for v in result if v not in bad})
        if others:
            print(f"axe {name}: minor: {', '.join(others)}")
        assert not bad, f"axe-core on {name}: {len(bad)} serious or critical violations:\n" + "\n".join(lines)
        return result

    def logs(self):
        """The browser's console lines so far (each "LEVEL message")."""
        try:
            self.console += [f"{e['level']} {e['message']}" for e in self.driver.get_log("browser")]
        except Exception:  # noqa: BLE001
            pass
        return self.console

    def assert_not_broken(self):
        """No CSP refusal, no uncaught exception in the browser's console."""
        broken = [line for line in self.logs() if BROKEN.search(line)]
        assert not broken, "the browser's console says the page is broken:\n  " + "\n  ".join(broken)

    def performance(self):
        """Chromium's performance log so far (DevTools events: Network.*)."""
        try:
            self.perf += [json.loads(e["message"])["message"] for e in self.driver.get_log("performance")]
        except Exception:  # noqa: BLE001
            pass
        return self.perf

    def document_headers(self):
        """The response headers of the last page (the console's index.html) the browser loaded, lower-cased."""
        pages = [m["params"]["response"] for m in self.performance()
                 if m.get("method") == "Network.responseReceived" and m["params"].get("type") == "Document"]
        assert pages, "no page in Chromium's performance log"
        return {k.lower(): v for k, v in pages[-1].get("headers", {}).items()}

    def api_answers(self):
        """Every /api/ answer the page received so far, as (status, url, body text); a stream's body is "".

        From Chromium's performance log (Network.responseReceived), each body read
        back with Network.getResponseBody while the page still holds it."""
        out = []
        for m in self.performance():
            if m.get("method") != "Network.responseReceived":
                continue
            p = m["params"]
            url = p["response"]["url"]
            if "/api/" not in url:
                continue
            if "_body" not in p:
                body = ""
                if "text/event-stream" not in p["response"].get("mimeType", ""):
                    try:
                        b = self.driver.execute_cdp_cmd("Network.getResponseBody", {"requestId": p["requestId"]})
                        body = b.get("body", "")
                    except Exception:  # noqa: BLE001  (evicted, or still streaming)
                        body = None
                p["_body"] = body
            out.append((p["response"]["status"], url, p["_body"]))
        return out

    def dom_text(self):
        """Everything the page holds as text: its HTML, its text, every form field's value and storage but the token."""
        return self.js("""
            const vals = [...document.querySelectorAll('input, textarea, select')]
              .filter(e => e.id !== 'signin-token').map(e => e.value);
            return [document.documentElement.outerHTML, document.body.innerText, ...vals].join('\\n');""")


class Run:
    """What a suite gets: its arguments and factories for desks and browsers (all stopped at the end)."""

    def __init__(self, args, work):
        self.args, self.work = args, work
        self.desks, self.browsers = [], []

    def desk(self, **kw):
        d = Desk(self.args.bin, self.args.source, os.path.join(self.work, f"desk{len(self.desks)}"), **kw)
        os.makedirs(d.work)
        self.desks.append(d)
        return d

    def browser(self, desk, **kw):
        b = Browser(desk, self.work, self.args.shots, self.args.axe, name=f"chromium{len(self.browsers)}", **kw)
        self.browsers.append(b)
        return b.start()

    def kdactl_json(self, desk, *args):
        r = desk.kdactl("--json", *args, check=True)
        return json.loads(r.stdout) if r.stdout.strip() else {}


def main(suite, doc, extra_args=None):
    """Runs suite(run); exit 0, 1 on a failure or a missing prerequisite."""
    ap = argparse.ArgumentParser(description=doc.strip().split("\n")[0])
    ap.add_argument("--bin", required=True, help="where kdad, kdactl and kda-target are")
    ap.add_argument("--source", required=True, help="the source tree")
    ap.add_argument("--shots", required=True, help="where screenshots go")
    ap.add_argument("--axe", default=AXE, help="axe.min.js")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    for a, kw in (extra_args or {}).items():
        ap.add_argument(a, **kw)
    args = ap.parse_args()
    args.bin, args.source, args.shots = map(os.path.abspath, (args.bin, args.source, args.shots))
    try:
        prerequisites(args.axe)
    except Missing as e:
        print(f"console test: {e}")
        return 1
    for b in ("kdad", "kdactl"):
        if not os.access(os.path.join(args.bin, b), os.X_OK):
            print(f"console test: {args.bin}/{b} is missing; build it")
            return 1
    work = tempfile.mkdtemp(prefix="kda-console.")
    run = Run(args, work)
    started = time.time()
    try:
        suite(run)
        for b in run.browsers:
            if b.driver is not None:
                b.assert_not_broken()
        print(f"ok ({time.time() - started:.1f} s)")
        return 0
    except Exception as e:  # noqa: BLE001  (selenium's errors too: each fails the test with what happened)
        if isinstance(e, AssertionError):
            traceback.print_exc()
        else:
            traceback.print_exc(limit=6)
        for b in run.browsers:
            if b.driver is not None:
                lines = b.logs()
                print(f"--- {b.dir}: browser console ({len(lines)} lines, last 30)")
                for line in lines[-30:]:
                    print(f"  {line[:400]}")
        for d in run.desks:
            print(f"--- {d.work}/kdad.log (tail)\n{d.log_text()}")
        return 1
    finally:
        for b in run.browsers:
            b.quit()
        for d in run.desks:
            d.stop()
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def run_target(desk, imei, serial, model="SM-G991B", timeout=60):
    """kda-target enrolling over TCP to the desk (its stdout and stderr together, read by a thread)."""
    import threading
    argv = [os.path.join(desk.bin_dir, "kda-target"), "enroll", "--tcp", f"127.0.0.1:{desk.tcp_port}",
            "--imei", imei, "--serial", serial, "--model", model, "--timeout", str(timeout)]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    p.lines = []

    def read():
        for line in p.stdout:
            p.lines.append(line.rstrip("\n"))
    p.reader = threading.Thread(target=read, daemon=True)
    p.reader.start()
    return p


@contextlib.contextmanager
def target_running(desk, imei, serial, model="SM-G991B", timeout=60):
    """run_target() for a with block: `with target_running(desk, imei, serial) as target:`.

    When the block ends normally, waits up to timeout s for kda-target to exit
    and for its output to be read (target.lines, target.returncode); however the
    block ends, a kda-target still running is killed, so none outlives the test.
    """
    target = run_target(desk, imei, serial, model=model, timeout=timeout)
    try:
        yield target
        target.wait(timeout=timeout)
        target.reader.join(timeout=5)
    finally:
        if target.poll() is None:
            target.kill()
            target.wait()
