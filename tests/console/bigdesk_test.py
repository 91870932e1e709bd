#!/usr/bin/env python3
"""The devices view over a big inventory: how long the first page and a filter take.

--devices devices (100,000; 10,000 in a sanitizer build) with valid IMEIs,
a tag per thousand, are imported with `kdactl devices import` before the
browser starts. An msp-admin opens the devices view; the test times the
first page, a search for one IMEI (one row), a state and tag filter and the
next page, each from the click to the view's data-ready="true" with its
rows shown, and prints them as one JSON line (not asserted: the machine
decides). What is asserted is what was shown: the right rows.
"""

import json
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import main  # noqa: E402
from api_desk import imei  # noqa: E402

SERIES = "35391123"


def write_csv(path, count):
    with open(path, "w", encoding="utf-8") as f:
        f.write("imei,serial,user_id,tags\n")
        for n in range(count):
            f.write(f"{imei(n, SERIES)},BD{n:07d},user{n},floor-{n // 1000}\n")


def rows(b):
    return [r.get_attribute("data-device") for r in b.qa("table#devices-table tr[data-device]")]


def set_field(b, css, value):
    from selenium.webdriver.support.ui import Select
    e = b.q(css)
    assert e is not None, f"the devices filters have no {css}"
    if e.tag_name == "select":
        s = Select(e)
        values = [o.get_attribute("value") for o in s.options]
        if value in values:
            s.select_by_value(value)
        else:
            s.select_by_visible_text(value)
    else:
        e.clear()
        if value:
            e.send_keys(value)


def timed(b, action, done, what):
    """Milliseconds from action() to the devices view ready again with done(rows) true."""
    since = b.mark()
    t0 = time.monotonic()
    action()
    b.wait_ready("devices", since, timeout=120)
    b.wait_for(what, lambda: done(rows(b)), timeout=120)
    return round((time.monotonic() - t0) * 1000)


def suite(run):
    count = run.args.devices
    desk = run.desk()
    desk.start()
    admin = desk.token("msp-admin", name="big-desk")
    csv = os.path.join(desk.work, "big.csv")
    write_csv(csv, count)
    t0 = time.monotonic()
    r = subprocess.run([os.path.join(desk.bin_dir, "kdactl"), "--socket", desk.socket, "devices", "import", csv],
                       capture_output=True, text=True, timeout=900)
    import_s = round(time.monotonic() - t0, 1)
    assert r.returncode == 0, f"kdactl devices import: exit {r.returncode}: {r.stdout}{r.stderr}"
    assert f"{count:,} added" in r.stdout or f"{count} added" in r.stdout, r.stdout

    b = run.browser(desk)
    b.sign_in(admin)
    timings = {"test": "console.bigdesk", "devices": count, "import_s": import_s}
    timings["first_page_ms"] = timed(b, lambda: b.q('a[data-nav="devices"]').click(), lambda rs: len(rs) > 0,
                                     "the first page of devices")
    first = rows(b)
    timings["first_page_rows"] = len(first)
    assert first == sorted(first) and first[0] == imei(0, SERIES), f"the first page starts {first[:3]}"
    b.shot("devices-bigdesk")

    one = imei(count * 3 // 4, SERIES)
    set_field(b, "#devices-q", one)
    timings["filter_q_ms"] = timed(b, lambda: b.q("button#devices-apply").click(), lambda rs: rs == [one],
                                   f"one row, {one}")

    tag = f"floor-{count // 2000}"
    set_field(b, "#devices-q", "")
    set_field(b, "#devices-state", "Unassigned")
    set_field(b, "#devices-tag", tag)
    in_tag = {imei(n, SERIES) for n in range(count // 2000 * 1000, count // 2000 * 1000 + 1000)}
    timings["filter_state_tag_ms"] = timed(b, lambda: b.q("button#devices-apply").click(),
                                           lambda rs: rs and set(rs) <= in_tag, f"rows tagged {tag}")
    shown = rows(b)
    if len(shown) < 1000:
        timings["next_page_ms"] = timed(b, lambda: b.q("button#devices-next").click(),
                                        lambda rs: rs and set(rs) <= in_tag and not set(rs) & set(shown),
                                        "the next page of the tag's rows")
    b.shot("devices-bigdesk-filtered")
    print(json.dumps(timings))


if __name__ == "__main__":
    sys.exit(main(suite, __doc__, {"--devices": {"type": int, "default": 100000,
                                                 "help": "how many devices (10,000 under sanitizers)"}}))
