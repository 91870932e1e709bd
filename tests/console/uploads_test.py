#!/usr/bin/env python3
"""The uploads view: pending devices grouped by upload, approved or rejected all or some.

Two uploads of the desk's own customer await approval, from the sources
RS-7 (3 devices) and RS-8 (2 devices). The uploads view shows them as two
groups naming their source. An msp-admin ticks 2 of RS-7's devices and
approves the selected; rejects RS-8's group (confirmed); then ticks RS-7's
last device and rejects the selected (confirmed). Each step is checked
against `kdactl --json devices list`, and the view ends with no upload.
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import main  # noqa: E402
from api_desk import imei  # noqa: E402

RS7 = [imei(n, "35391131") for n in range(3)]
RS8 = [imei(n, "35391132") for n in range(2)]


def approvals(run, desk):
    return {d["key"]: d.get("approval") for d in run.kdactl_json(desk, "devices", "list").get("devices", [])}


def group_of(b, key):
    return next((g for g in b.qa("[data-upload]") if key in g.text), None)


def suite(run):
    desk = run.desk()
    desk.start()
    api = desk.client()
    admin = desk.token("msp-admin", name="approver")
    api.ok("POST", "/devices", admin, {"devices": [{"imei": k, "serial": f"RS7-{i}"} for i, k in enumerate(RS7)]},
           query={"source": "RS-7"})
    api.ok("POST", "/devices", admin, {"devices": [{"imei": k, "serial": f"RS8-{i}"} for i, k in enumerate(RS8)]},
           query={"source": "RS-8"})
    assert set(approvals(run, desk).values()) == {"pending"}, approvals(run, desk)

    b = run.browser(desk)
    b.sign_in(admin)
    b.go("uploads")
    g7 = b.wait_for("RS-7's group", lambda: group_of(b, RS7[0]))
    g8 = b.wait_for("RS-8's group", lambda: group_of(b, RS8[0]))
    assert g7 != g8 and "RS-7" in g7.text and "RS-8" in g8.text, f"the groups: {g7.text!r} / {g8.text!r}"
    assert all(k in g7.text for k in RS7) and all(k in g8.text for k in RS8), "a group misses its devices"
    b.shot("uploads-groups")

    # Some of RS-7: approve selected.
    for k in RS7[:2]:
        b.click(f'[data-upload] input.upload-select[value="{k}"]')
    since = b.mark()
    b.click("button#uploads-approve-selected")
    b.wait_ready("uploads", since)
    b.wait_for("kdactl to show RS-7's first two approved",
               lambda: [approvals(run, desk)[k] for k in RS7] == ["approved", "approved", "pending"])

    # All of RS-8: its group's reject (confirmed).
    since = b.mark()
    group = b.wait_for("RS-8's group again", lambda: group_of(b, RS8[0]))
    b.click(group.find_element("css selector", 'button[data-action="reject"]'))
    b.answer_dialog(10)
    b.wait_ready("uploads", since)
    b.wait_for("kdactl to show RS-8 rejected", lambda: [approvals(run, desk)[k] for k in RS8] == ["rejected"] * 2)

    # The last of RS-7: reject selected (confirmed).
    b.click(f'[data-upload] input.upload-select[value="{RS7[2]}"]')
    since = b.mark()
    b.click("button#uploads-reject-selected")
    b.answer_dialog(10)
    b.wait_ready("uploads", since)
    b.wait_for("kdactl to show RS-7's last rejected", lambda: approvals(run, desk)[RS7[2]] == "rejected")
    b.wait_for("no upload left in the view", lambda: not b.qa("[data-upload]"))
    print("two uploads grouped by source; approve selected, reject a group, reject selected")


if __name__ == "__main__":
    sys.exit(main(suite, __doc__))
