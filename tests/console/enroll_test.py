#!/usr/bin/env python3
"""A phone enrolls through the console, from CSV import to Provisioned in the ledger.

An msp-admin signs in; in the devices view it previews a CSV with a bad IMEI
(the preview names the line and column, nothing changes), then the corrected
CSV (2 devices added) and commits it, then previews a change (one device's
user id: the preview names the device and the field, nothing changes); in
the uploads view it approves the upload. A real kda-target then enrolls one
of them over TCP under the admin confirmation policy: the desk view shows
its session with the SAS code the target printed (and passes axe-core), the
admin clicks Confirm, the desk counts it, and the ledger view shows the
device Provisioned, then a row written meanwhile (the other device
rejected) without a reload, newest first, and filtered to the phone; the
devices view's Reset re-arms the phone.
Each step is checked against `kdactl --json`.
"""

import os
import re
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import main, target_running  # noqa: E402
from api_desk import imei  # noqa: E402

CONFIRM = '[transports.tcp]\nlisten = "127.0.0.1:0"\nconfirm = "admin"\nconfirm_timeout_s = 60\n'
PHONE, OTHER = imei(4101, "35391120"), imei(4102, "35391120")
SERIAL = "R58C0NSOLE1"
HEADER = "imei,serial,user_id,tags"


def devices(run, desk):
    """kdactl --json devices list: {key: device}."""
    return {d["key"]: d for d in run.kdactl_json(desk, "devices", "list").get("devices", [])}


def import_csv(b, text):
    """Types the CSV into the import (textarea#import-text, else a file for input#import-file) and previews it."""
    area = b.q("textarea#import-text")
    if area is not None:
        area.clear()
        area.send_keys(text)
    else:
        field = b.q("input#import-file")
        assert field is not None, "the devices view has neither textarea#import-text nor input#import-file"
        path = os.path.join(b.dir, f"import-{time.time_ns()}.csv")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        field.send_keys(path)
    b.q("button#import-preview").click()


def preview_count(b, kind):
    e = b.q(f'#import-result [data-preview="{kind}"]')
    if e is None:
        return None
    m = re.search(r"\d[\d,]*", e.text)
    return int(m.group(0).replace(",", "")) if m else None


def suite(run):
    desk = run.desk(extra_toml=CONFIRM)
    desk.start()
    admin = desk.token("msp-admin", name="console-admin")
    b = run.browser(desk)
    who = b.sign_in(admin)
    assert "console-admin" in who and "msp-admin" in who, f"#whoami says {who!r}"

    # Devices: a preview that finds an error changes nothing and says where it is.
    b.go("devices")
    bad = f"{HEADER}\n{PHONE},{SERIAL},alice,floor-2\n12345,BADSERIAL,bob,floor-2\n"
    import_csv(b, bad)
    errors = b.wait_for("the preview's .import-error", lambda: b.qa("#import-result .import-error"))
    text = " ".join(e.text for e in errors)
    assert len(errors) == 1 and "line 3" in text and "imei" in text, f"the preview's errors: {text!r}"
    assert devices(run, desk) == {}, "a preview with errors changed the inventory"

    good = f"{HEADER}\n{PHONE},{SERIAL},alice,floor-2\n{OTHER},R58C0NSOLE2,bob,floor-2\n"
    import_csv(b, good)
    b.wait_for("the preview to count 2 added", lambda: preview_count(b, "added") == 2)
    assert not b.qa("#import-result .import-error"), "the corrected CSV still shows errors"
    assert devices(run, desk) == {}, "the dry run (preview) changed the inventory"
    b.shot("devices-import-preview", show="#import-result", notices=False)
    b.q("button#import-commit").click()
    # (a confirmation, should the view ask for one, is answered while waiting)
    listed = b.wait_for("kdactl devices list to show the 2 imported devices",
                        lambda: b.answer_dialog(0) or (lambda d: d if set(d) == {PHONE, OTHER} else None)(
                            devices(run, desk)))
    assert all(d.get("approval") == "pending" for d in listed.values()), listed
    b.wait_for("a success notice saying 2 added (#notices .notice.notice-success)",
               lambda: any("2 added" in n for n in b.notices("success")))
    b.wait_for(f'tr[data-device="{PHONE}"] in the devices table',
               lambda: b.q(f'table#devices-table tr[data-device="{PHONE}"]'))

    # A preview of a change names the device and the field; nothing changes until Import.
    import_csv(b, f"{HEADER}\n{PHONE},{SERIAL},alice,floor-2\n{OTHER},R58C0NSOLE2,carol,floor-2\n")
    b.wait_for("the preview to count 1 updated, 1 unchanged",
               lambda: preview_count(b, "updated") == 1 and preview_count(b, "unchanged") == 1)
    result = b.q("#import-result").text
    assert OTHER in result and "user_id" in result and "carol" in result, \
        f"the preview does not show the user_id change of {OTHER}: {result!r}"
    assert devices(run, desk)[OTHER].get("user_id") == "bob", "the preview changed the device"

    # Uploads: the upload's group, approved with its button.
    b.go("uploads")
    group = b.wait_for(f"an upload group holding {PHONE}",
                       lambda: next((g for g in b.qa("[data-upload]") if PHONE in g.text), None))
    group.find_element("css selector", 'button[data-action="approve"]').click()
    b.wait_for("kdactl devices list to show both devices approved",
               lambda: b.answer_dialog(0) or all(d.get("approval") == "approved" for d in devices(run, desk).values()))

    # The desk: kda-target enrolls; its SAS shows; Confirm.
    b.go("desk")
    with target_running(desk, PHONE, SERIAL) as target:
        sas = b.wait_for("kda-target to print its SAS code",
                         lambda: next((re.sub(r"\D", "", m.group(1)) for m in
                                       (re.search(r"SAS code: ([\d ]+)", line) for line in target.lines) if m), None))
        session = b.wait_for(f"a [data-session] in the desk view showing SAS {sas} and a Confirm button",
                             lambda: next((s for s in b.qa("[data-session]")
                                           if s.find_elements("css selector", ".sas")
                                           and s.find_element("css selector", ".sas").text.strip() == sas
                                           and s.find_elements("css selector", 'button[data-action="confirm"]')),
                                          None))
        sas_text = b.js("return arguments[0].querySelector('.sas').textContent", session)
        assert sas_text == sas, f".sas textContent is {sas_text!r}, the target printed {sas}"
        b.axe("desk (a phone waiting for confirmation)")
        b.shot("desk-waiting", notices=False)
        session.find_element("css selector", 'button[data-action="confirm"]').click()
    out = "\n".join(target.lines)
    assert target.returncode == 0, f"kda-target exited {target.returncode}:\n{out}"
    b.wait_for("today's Provisioned count on the desk to be 1 (live)",
               lambda: (b.q('#desk-counts [data-count="Provisioned"]') is not None
                        and b.q('#desk-counts [data-count="Provisioned"]').text.strip() == "1"))

    # The ledger: Provisioned, in the browser and in kdactl's ledger.
    b.go("ledger")
    b.wait_for("a ledger row Provisioned for the phone",
               lambda: next((r for r in b.qa("table#ledger-table tr[data-entry]")
                             if PHONE in r.text and r.find_elements("css selector", "td.ledger-outcome")
                             and r.find_element("css selector", "td.ledger-outcome").text.strip() == "Provisioned"),
                            None))
    b.shot("ledger-provisioned", notices=False)
    # Live: a row written while the view is open appears without leaving it.
    b.mark()  # the page's ready counter: a page loaded anew would have lost it
    desk.kdactl("devices", "reject", OTHER, check=True)
    b.wait_for(f"a new ledger row for {OTHER} (rejected) without reloading",
               lambda: next((r for r in b.qa("table#ledger-table tr[data-entry]")
                             if OTHER in r.text and "reject" in r.text.lower()), None))
    assert b.js("return window.__kdaReady") is not None, "the ledger view was loaded anew, not updated live"
    ids = [int(r.get_attribute("data-entry")) for r in b.qa("table#ledger-table tr[data-entry]")]
    assert ids == sorted(ids, reverse=True), f"the ledger's rows are not newest first: {ids}"
    # Filtered to the phone (#ledger-device, #ledger-apply: the ledger view's filter form).
    since = b.mark()
    b.type("#ledger-device", PHONE)
    b.click("#ledger-apply")
    b.wait_ready("ledger", since)
    texts = b.wait_for(f"the ledger filtered to {PHONE}",
                       lambda: (lambda t: t if t and all(PHONE in x for x in t) else None)(
                           [r.text for r in b.qa("table#ledger-table tr[data-entry]")]))
    assert any("Provisioned" in t for t in texts), f"the filtered ledger: {texts}"
    ledger = run.kdactl_json(desk, "ledger", "--device", PHONE).get("entries", [])
    assert any(e.get("state") == "Provisioned" for e in ledger), f"kdactl ledger for {PHONE}: {ledger}"
    assert devices(run, desk)[PHONE].get("state") == "Provisioned", devices(run, desk)[PHONE]
    # Devices: the provisioned phone re-armed with the bulk Reset (confirmed), so it may enroll again.
    b.go("devices")
    box = b.wait_for(f"the box of {PHONE}", lambda: b.q(f'tr[data-device="{PHONE}"] input.device-select'))
    box.click()
    b.q('button[data-bulk="reset"]').click()
    b.answer_dialog(10)
    b.wait_for(f"kdactl devices list to show {PHONE} re-armed (Unassigned)",
               lambda: devices(run, desk)[PHONE].get("state") == "Unassigned")
    print(f"enrolled {PHONE} with SAS {sas} through the console, then reset")


if __name__ == "__main__":
    sys.exit(main(suite, __doc__))
