#!/usr/bin/env python3
"""The console rides out a kdad restart: its events stream reconnects and live updates resume.

An msp-admin has the ledger view open. kdad stops and starts again on the
same port and state (the same tokens). Without a reload, a device approved
after the restart appears in the ledger view, as it would have before, and
the tab is still signed in.
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import main  # noqa: E402
from api_desk import imei  # noqa: E402

BEFORE, AFTER = imei(1, "35391134"), imei(2, "35391134")


def row_for(b, key):
    return next((r for r in b.qa("table#ledger-table tr[data-entry]") if key in r.text), None)


def suite(run):
    desk = run.desk()
    desk.start()
    admin = desk.token("msp-admin", name="night-shift")
    b = run.browser(desk)
    b.sign_in(admin)
    b.go("ledger")
    api = desk.client()
    api.ok("POST", "/devices", admin, {"devices": [{"imei": BEFORE, "serial": "BEFORE"}]})
    api.ok("POST", "/devices/approve", admin, {"keys": [BEFORE]})
    b.wait_for(f"{BEFORE}'s approval live in the ledger view", lambda: row_for(b, BEFORE), 30)
    b.mark()  # a page loaded anew would lose this counter

    desk.stop()
    desk.start()
    api.ok("POST", "/devices", admin, {"devices": [{"imei": AFTER, "serial": "AFTER"}]})
    api.ok("POST", "/devices/approve", admin, {"keys": [AFTER]})
    b.wait_for(f"{AFTER}'s approval, after the restart, live in the ledger view", lambda: row_for(b, AFTER), 60)
    assert b.js("return window.__kdaReady") is not None, "the page was loaded anew"
    assert b.displayed("#whoami") is not None and "night-shift" in b.q("#whoami").text, "the tab was signed out"
    b.shot("ledger-after-restart")
    print("the ledger view followed kdad through a restart without a reload")


if __name__ == "__main__":
    sys.exit(main(suite, __doc__))
