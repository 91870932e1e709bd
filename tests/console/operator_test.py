#!/usr/bin/env python3
"""At the desk: a viewer watches a phone wait without Confirm or Reject; a desk-operator confirms it.

Two browsers watch the desk view, one signed in as a viewer, one as a
desk-operator, while a real kda-target enrolls an approved device under the
admin confirmation policy. Both show the session with the SAS code the
target printed; only the desk-operator's has Confirm and Reject. The
desk-operator confirms with the keyboard (Tab to Confirm, Enter); the
target is provisioned; both desks count it (live, through the events
stream) and `kdactl --json ledger` has it.
"""

import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import main, target_running  # noqa: E402
from api_desk import imei  # noqa: E402

CONFIRM = '[transports.tcp]\nlisten = "127.0.0.1:0"\nconfirm = "admin"\nconfirm_timeout_s = 60\n'
PHONE, SERIAL = imei(5001, "35391133"), "R58OPERATOR"


def session_with(b, sas):
    return next((s for s in b.qa("[data-session]") if s.find_elements("css selector", ".sas")
                 and s.find_element("css selector", ".sas").text.strip() == sas), None)


def provisioned_count(b):
    e = b.q('#desk-counts [data-count="Provisioned"]')
    return e.text.strip() if e is not None else None


def confirm_by_keyboard(b, card):
    """Tab from the top of the page to the session's Confirm (each stop visibly focused) and press Enter."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    button = card.find_element("css selector", 'button[data-action="confirm"]')
    b.js("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    for _ in range(80):
        ActionChains(b.driver).send_keys(Keys.TAB).perform()
        if b.js("return document.activeElement === arguments[0]", button):
            break
    else:
        raise AssertionError("Tab never reached the session's Confirm button")
    style = b.js("const s = getComputedStyle(arguments[0]); return [s.outlineStyle, s.outlineWidth, s.boxShadow]",
                 button)
    assert (style[0] != "none" and style[1] != "0px") or style[2] != "none", f"Confirm has focus but no visible focus: {style}"
    ActionChains(b.driver).send_keys(Keys.ENTER).perform()


def suite(run):
    desk = run.desk(extra_toml=CONFIRM)
    desk.start()
    api = desk.client()
    admin = desk.token("msp-admin", name="admin")
    api.ok("POST", "/devices", admin, {"devices": [{"imei": PHONE, "serial": SERIAL}]})
    api.ok("POST", "/devices/approve", admin, {"keys": [PHONE]})
    viewer, operator = run.browser(desk), run.browser(desk)
    assert viewer.sign_in(desk.token("viewer", name="victor")) == "victor · viewer"
    assert operator.sign_in(desk.token("desk-operator", name="omar")) == "omar · desk-operator"
    for b in (viewer, operator):
        b.go("desk")

    with target_running(desk, PHONE, SERIAL) as target:
        sas = viewer.wait_for("kda-target to print its SAS code",
                              lambda: next((re.sub(r"\D", "", m.group(1)) for m in
                                            (re.search(r"SAS code: ([\d ]+)", line) for line in target.lines) if m),
                                           None))
        watched = viewer.wait_for(f"the viewer's desk to show SAS {sas}", lambda: session_with(viewer, sas))
        card = operator.wait_for(f"the operator's desk to show SAS {sas} with Confirm",
                                 lambda: (lambda s: s if s is not None and s.find_elements(
                                     "css selector", 'button[data-action="confirm"]') else None)(session_with(operator, sas)))
        offered = [e.get_attribute("data-action") for e in
                   watched.find_elements("css selector", 'button[data-action="confirm"], button[data-action="reject"]')
                   if e.is_displayed()]
        assert not offered, f"a viewer is offered {offered}"
        assert card.find_elements("css selector", 'button[data-action="reject"]'), "the operator has no Reject"
        viewer.shot("desk-viewer-waiting")
        confirm_by_keyboard(operator, card)
    assert target.returncode == 0, "kda-target exited {}:\n{}".format(target.returncode, "\n".join(target.lines))
    for b, who in ((viewer, "viewer"), (operator, "desk-operator")):
        b.wait_for(f"the {who}'s Provisioned count to be 1", lambda: provisioned_count(b) == "1")
    ledger = run.kdactl_json(desk, "ledger", "--device", PHONE).get("entries", [])
    confirmed = [e for e in ledger if "omar" in e.get("reason", "")]
    assert any(e.get("state") == "Provisioned" for e in ledger) and confirmed, \
        f"kdactl ledger does not show {PHONE} provisioned after omar's confirmation: {ledger}"
    print(f"viewer watched SAS {sas} without Confirm; desk-operator confirmed; both counted it")


if __name__ == "__main__":
    sys.exit(main(suite, __doc__))
