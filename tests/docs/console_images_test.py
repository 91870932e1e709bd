#!/usr/bin/env python3
"""The console's pictures in the docs are the browser tests' screenshots.

Every `images/console-NAME.png` that docs/ADMIN.md or README.md shows must be
in docs/images/, be a PNG, and be a screenshot a console test takes
(`b.shot("NAME")` in tests/console/*_test.py, or a view of console.a11y's
VIEWS, which it shoots by name; saved under
build/tests/console/screenshots/NAME.png): so a picture in the guide always
comes from a test, and renaming a test's screenshot shows here. To refresh
them after a change to the console, run `ctest -L console` and copy
build/tests/console/screenshots/NAME.png to docs/images/console-NAME.png.
"""

import argparse
import glob
import os
import re
import sys

PNG = b"\x89PNG\r\n\x1a\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", required=True, help="the source tree")
    args = ap.parse_args()
    shots = set()
    for test in glob.glob(os.path.join(args.source, "tests/console/*_test.py")):
        with open(test, encoding="utf-8") as f:
            text = f.read()
        shots.update(re.findall(r"""\.shot\(\s*["']([A-Za-z0-9_-]+)["']""", text))
        # console.a11y shoots each view of its VIEWS by name (b.shot(view)).
        if re.search(r"\.shot\(view\b", text):
            for views in re.findall(r"^VIEWS\s*=\s*[(\[]([^)\]]*)", text, re.M):
                shots.update(re.findall(r"""["']([A-Za-z0-9_-]+)["']""", views))
    problems, shown = [], 0
    for doc in ("docs/ADMIN.md", "README.md"):
        with open(os.path.join(args.source, doc), encoding="utf-8") as f:
            text = f.read()
        for number, line in enumerate(text.split("\n"), 1):
            for ref in re.findall(r"\]\(((?:docs/)?images/console-([A-Za-z0-9_-]+)\.png)\)", line):
                path, name = ref
                shown += 1
                where = f"{doc}:{number}"
                file = os.path.join(args.source, "docs", path[len("docs/"):] if path.startswith("docs/") else path)
                if not os.path.isfile(file):
                    problems.append(f"{where}: {path} is not in docs/images/")
                else:
                    with open(file, "rb") as f:
                        if f.read(8) != PNG:
                            problems.append(f"{where}: {path} is not a PNG file")
                if name not in shots:
                    problems.append(f"{where}: no console test takes the screenshot '{name}' "
                                    f"(b.shot(\"{name}\") in tests/console/*_test.py)")
    if shown == 0:
        problems.append("docs/ADMIN.md and README.md show no console screenshot (images/console-NAME.png)")
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"ok: {shown} console screenshots shown in the docs, each one a console test takes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
