#!/usr/bin/env python3
"""The console's source keeps the rules the browser tests cannot see all of.

daemon/console/ as the contract lays it out: every view's .js and .css
exists, index.html links every view's stylesheet and loads /app.js as a
module, and each view's roles are the contract's. Nothing parses data as
HTML or runs text as code (no innerHTML/outerHTML assignment,
insertAdjacentHTML, document.write, eval, new Function, DOMParser,
createContextualFragment, a style attribute set as text, srcdoc), and the
page loads nothing from elsewhere and has no inline script, style or event
handler (the Content-Security-Policy would refuse them).
"""

import argparse
import os
import re
import sys

ROLES = {
    "desk": {"msp-admin", "customer-admin", "desk-operator", "viewer"},
    "ledger": {"msp-admin", "customer-admin", "desk-operator", "viewer"},
    "devices": {"msp-admin", "customer-admin", "reseller", "desk-operator", "viewer"},
    "uploads": {"msp-admin", "customer-admin"},
    "profiles": {"msp-admin", "customer-admin", "desk-operator", "viewer"},
    "customers": {"msp-admin"},
    "fleet": {"msp-admin", "customer-admin", "desk-operator", "viewer"},
}
FORBIDDEN = [
    (re.compile(r"\.(innerHTML|outerHTML)\s*\+?="), "assigns HTML"),
    (re.compile(r"insertAdjacentHTML\s*\("), "inserts HTML"),
    (re.compile(r"document\.write(ln)?\s*\("), "writes HTML"),
    (re.compile(r"(?<![\w.])eval\s*\("), "evaluates text as code"),
    (re.compile(r"new\s+Function\s*\("), "makes code from text"),
    (re.compile(r"\bDOMParser\b|createContextualFragment"), "parses HTML"),
    (re.compile(r"setAttribute\(\s*['\"]style['\"]|\.style\.cssText\s*="), "sets a style attribute as text "
                                                                          "(refused by style-src 'self')"),
    (re.compile(r"\.srcdoc\s*="), "sets a frame's HTML"),
    (re.compile(r"(set(Timeout|Interval))\s*\(\s*['\"`]"), "runs a string as code"),
    (re.compile(r"\bimport\s*\(?\s*['\"]https?:"), "imports from elsewhere"),
]


def strip_comments(js):
    """The code without /* */ and // comments (strings are left alone well enough for these patterns)."""
    js = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), js, flags=re.S)
    return re.sub(r"(^|[^:'\"\\])//[^\n]*", r"\1", js)


def check(console):
    problems = []
    for view in ROLES:
        for ext in ("js", "css"):
            if not os.path.isfile(os.path.join(console, "views", f"{view}.{ext}")):
                problems.append(f"views/{view}.{ext} is missing")
    with open(os.path.join(console, "index.html"), encoding="utf-8") as f:
        html = f.read()
    for view in ROLES:
        if f'href="/views/{view}.css"' not in html:
            problems.append(f"index.html does not link /views/{view}.css")
    if not re.search(r'<script\s+type="module"\s+src="/app\.js"\s*>\s*</script>', html):
        problems.append('index.html does not load <script type="module" src="/app.js">')
    for m in re.finditer(r"<script\b([^>]*)>(.*?)</script>", html, re.S):
        if "src=" not in m.group(1) or m.group(2).strip():
            problems.append(f"index.html has an inline script: {m.group(0)[:80]!r}")
    if re.search(r"<style\b", html):
        problems.append("index.html has a <style> element")
    for m in re.finditer(r"<[a-z][^>]*\s(style|on[a-z]+)\s*=", html, re.I):
        problems.append(f"index.html has an inline {m.group(1)} attribute: {m.group(0)[:80]!r}")
    for m in re.finditer(r"(src|href)\s*=\s*\"(https?:)?//", html):
        problems.append(f"index.html loads from elsewhere: {m.group(0)!r}")
    for root, _, files in os.walk(console):
        for name in sorted(files):
            path = os.path.join(root, name)
            rel = os.path.relpath(path, console)
            if name.endswith(".js"):
                with open(path, encoding="utf-8") as f:
                    code = strip_comments(f.read())
                for n, line in enumerate(code.split("\n"), 1):
                    for pattern, why in FORBIDDEN:
                        if pattern.search(line):
                            problems.append(f"{rel}:{n}: {why}: {line.strip()[:100]}")
            if name.endswith(".css"):
                with open(path, encoding="utf-8") as f:
                    css = f.read()
                for m in re.finditer(r"@import|url\(\s*['\"]?(https?:)?//", css):
                    problems.append(f"{rel}: loads from elsewhere: {m.group(0)!r}")
    for view, want in ROLES.items():
        path = os.path.join(console, "views", f"{view}.js")
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as f:
            code = strip_comments(f.read())
        m = re.search(r"\broles\s*:\s*\[([^\]]*)\]", code)
        got = set(re.findall(r"['\"]([a-z-]+)['\"]", m.group(1))) if m else None
        if got != want:
            problems.append(f"views/{view}.js: roles {sorted(got) if got is not None else None}, "
                            f"the contract says {sorted(want)}")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.strip().split("\n")[0])
    ap.add_argument("--source", required=True)
    ap.add_argument("--bin")    # as the browser tests take them (one CMake loop registers them all)
    ap.add_argument("--shots")
    args = ap.parse_args()
    console = os.path.join(os.path.abspath(args.source), "daemon", "console")
    problems = check(console)
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"ok: {console} keeps the contract's layout, roles and page rules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
