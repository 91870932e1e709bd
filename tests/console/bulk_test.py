#!/usr/bin/env python3
"""The devices view's bulk actions and CSV export, checked against `kdactl --json devices list`.

An msp-admin selects two devices' boxes and assigns them a profile (the
dialog's profile select), moves every device of that profile to another,
unassigns one (confirmed), filters by a tag that 150 devices carry (two
pages), selects the page, then every device matching the filter, and
deletes them (confirmed): the others stay. Export CSV downloads the
inventory as a file holding every remaining device.
"""

import csv
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import main  # noqa: E402
from api_desk import imei  # noqa: E402

KEEP = [imei(n, "35391127") for n in range(1, 5)]
OLD = [imei(n, "35391128") for n in range(150)]


def devices(run, desk):
    return {d["key"]: d for d in run.kdactl_json(desk, "devices", "list").get("devices", [])}


def tick(b, key):
    box = b.wait_for(f"the box of {key}", lambda: b.q(f'tr[data-device="{key}"] input.device-select'))
    if not box.is_selected():
        box.click()


def dialog_choose(b, choices):
    """Sets the open dialog's selects ({name: option text or value}) and submits it."""
    from selenium.webdriver.support.ui import Select
    dialog = b.wait_for("the dialog", lambda: b.displayed("dialog[open]"))
    for name, value in choices.items():
        s = Select(dialog.find_element("css selector", f'select[name="{name}"]'))
        if value in [o.get_attribute("value") for o in s.options]:
            s.select_by_value(value)
        else:
            s.select_by_visible_text(value)
    dialog.find_element("css selector", 'button[type="submit"], button[data-action="dialog-ok"]').click()
    b.wait_for("the dialog to close", lambda: b.displayed("dialog[open]") is None)


def bulk(b, action):
    since = b.mark()
    button = b.q(f'button[data-bulk="{action}"]')
    assert button is not None and button.is_enabled(), f'button[data-bulk="{action}"] is missing or disabled'
    button.click()
    return since


def suite(run):
    desk = run.desk()
    desk.start()
    api = desk.client()
    admin = desk.token("msp-admin", name="bulk-admin")
    rows = [{"imei": k, "serial": f"KEEP{i}", "tags": ["floor-1"]} for i, k in enumerate(KEEP)]
    rows += [{"imei": k, "serial": f"OLD{i:03d}", "tags": ["old"]} for i, k in enumerate(OLD)]
    api.ok("POST", "/devices", admin, {"devices": rows})
    api.ok("POST", "/devices/approve", admin, {"all": True})

    b = run.browser(desk)
    b.sign_in(admin)
    b.go("devices")

    # Assign two, by their boxes.
    tick(b, KEEP[0])
    tick(b, KEEP[1])
    since = bulk(b, "assign")
    dialog_choose(b, {"profile": "Staging default"})
    b.wait_ready("devices", since)
    b.wait_for("kdactl to show the two assigned",
               lambda: [devices(run, desk)[k].get("profile") for k in KEEP] == ["Staging default"] * 2 + [""] * 2)

    # Move every device of that profile to Default.
    since = bulk(b, "move")
    dialog_choose(b, {"from": "Staging default", "to": "Default"})
    b.wait_ready("devices", since)
    b.wait_for("kdactl to show the two moved to Default",
               lambda: [devices(run, desk)[k].get("profile") for k in KEEP] == ["Default"] * 2 + [""] * 2)

    # Unassign one (confirmed).
    tick(b, KEEP[0])
    since = bulk(b, "unassign")
    b.answer_dialog(10)
    b.wait_ready("devices", since)
    b.wait_for("kdactl to show the first unassigned",
               lambda: [devices(run, desk)[k].get("profile") for k in KEEP] == ["", "Default", "", ""])

    # Every device matching a filter (two pages of it), deleted.
    since = b.mark()
    tag = b.q("#devices-tag")
    tag.clear()
    tag.send_keys("old")
    b.q("button#devices-apply").click()
    b.wait_ready("devices", since)
    b.wait_for("a page of devices tagged old",
               lambda: (lambda keys: keys and set(keys) <= set(OLD))(
                   [r.get_attribute("data-device") for r in b.qa("table#devices-table tr[data-device]")]))
    b.q("table#devices-table thead input[type=checkbox]").click()
    b.wait_for("#devices-select-all", lambda: b.displayed("#devices-select-all")).click()
    b.wait_for("the selection to say every device matching", lambda: "matching the filter" in b.q("#devices-selection").text)
    b.shot("devices-bulk-selection")
    since = bulk(b, "delete")
    b.answer_dialog(10)
    b.wait_ready("devices", since)
    left = b.wait_for("kdactl to show the 150 deleted and the 4 kept",
                      lambda: (lambda d: d if set(d) == set(KEEP) else None)(devices(run, desk)), 60)
    assert [left[k].get("profile") for k in KEEP] == ["", "Default", "", ""], left

    # Export CSV: a file of the inventory.
    downloads = os.path.join(b.dir, "downloads")
    os.makedirs(downloads)
    b.driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    since = b.mark()
    b.q("#devices-tag").clear()
    b.q("button#devices-apply").click()
    b.wait_ready("devices", since)
    b.q("button#devices-export").click()

    def exported():
        done = [f for f in os.listdir(downloads) if f.endswith(".csv")]
        return os.path.join(downloads, done[0]) if done else None
    path = b.wait_for("the exported CSV file", exported)
    time.sleep(0.2)
    with open(path, encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    keys = {r.get("imei") or r.get("key") for r in table}
    assert keys == set(KEEP), f"the export {os.path.basename(path)} holds {sorted(keys)}"
    print(f"assign, move, unassign, delete of every matching device, export ({os.path.basename(path)})")


if __name__ == "__main__":
    sys.exit(main(suite, __doc__))
