#!/usr/bin/env python3
"""What devices, resellers, customers and token owners wrote is shown as text, never as markup.

Markup is stored everywhere the API takes free text: the msp-admin token's
name (#whoami), a customer's company name, a reseller's name, a device's
user id (the desk's own, and a reseller's upload), a profile's description
and company name, and the model a phone reports (a real kda-target enrolling
with it). An import preview of a CSV whose serial is markup echoes it in
its error. The msp-admin visits every view (the phone waiting on the desk,
then rejected): no element of that markup
exists in any view, it shows literally where it is shown, and the browser
reports no Content-Security-Policy refusal. The page itself came with the
contract's Content-Security-Policy.
"""

import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import main, target_running  # noqa: E402
from api_desk import ACME, imei  # noqa: E402

MARKUP = '<b data-xss="1">x</b><img data-xss="2" src="/xss.png">'
CONFIRM = '[transports.tcp]\nlisten = "127.0.0.1:0"\nconfirm = "admin"\nconfirm_timeout_s = 60\n'
PHONE, SERIAL = imei(7001, "35391126"), "R58XSS0001"
VIEWS = ("desk", "uploads", "devices", "profiles", "ledger", "customers", "fleet")


def no_markup(b, where):
    made = b.js("return [...document.querySelectorAll('[data-xss], img[src$=\"xss.png\"]')].map(e => e.outerHTML)")
    assert not made, f"{where}: stored text became elements: {made}"


def suite(run):
    desk = run.desk(extra_toml=CONFIRM)
    desk.start()
    api = desk.client()
    admin = desk.token("msp-admin", name=MARKUP)
    c = dict(ACME, company_name=MARKUP)
    acme = api.ok("POST", "/customers", admin, c, expect=201)["id"]
    api.ok("POST", "/resellers", admin, {"reseller_id": "RS-0042", "name": MARKUP, "approval": "every-upload"},
           query={"customer": acme}, expect=201)
    reseller = desk.token("reseller", customer=acme, reseller="RS-0042", name="rita")
    api.ok("POST", "/devices", reseller, {"devices": [{"imei": imei(7002, "35391126"), "serial": "RSXSS",
                                                       "user_id": MARKUP}]}, query={"customer": acme})
    api.ok("POST", "/devices", admin, {"devices": [{"imei": PHONE, "serial": SERIAL, "user_id": MARKUP}]},
           query={"customer": ""})
    api.ok("POST", "/devices/approve", admin, {"keys": [PHONE]}, query={"customer": ""})
    with open(os.path.join(run.args.source, "examples", "profiles", "staging-default.json"), encoding="utf-8") as f:
        profile = json.load(f)
    profile.update(name="Markup", description=MARKUP, company_name=MARKUP)
    api.ok("POST", "/profiles", admin, profile, query={"customer": ""}, expect=201)

    b = run.browser(desk)
    who = b.sign_in(admin)
    assert MARKUP in who, f"#whoami shows {who!r}, not the token's name as text"
    headers = b.document_headers()
    csp = headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "default-src 'none'" in csp, f"the page's Content-Security-Policy: {csp!r}"

    # The desk: a phone reporting markup as its model waits; rejected.
    b.go("desk")
    with target_running(desk, PHONE, SERIAL, model=MARKUP):
        card = b.wait_for("the phone's session waiting on the desk",
                          lambda: next((s for s in b.qa("[data-session]")
                                        if s.find_elements("css selector", 'button[data-action="reject"]')), None))
        no_markup(b, "desk")
        assert MARKUP in card.text, f"the session does not show the reported model as text: {card.text!r}"
        card.find_element("css selector", 'button[data-action="reject"]').click()
        b.wait_for("the reject confirmation", lambda: b.displayed("dialog[open]"))
        no_markup(b, "the reject confirmation")
        b.answer_dialog(0)

    for view in VIEWS:
        b.go(view)
        no_markup(b, view)
        assert MARKUP in b.q("#whoami").text, f"{view}: #whoami lost the name"
        if view == "customers":
            assert MARKUP in b.q("main").text, "the customers view does not show the company name as text"
        if view == "profiles":
            b.q('tr[data-profile="Markup"] button').click()
            b.wait_for("the profile's editor", lambda: b.q("form#profile-editor"))
            values = b.js("return [...document.querySelectorAll('#profile-editor input, #profile-editor textarea')]"
                          ".map(e => e.value)")
            assert MARKUP in values, "the profile editor does not hold the description as its value"
            no_markup(b, "profile editor")
        if view == "devices":
            quoted = '"' + MARKUP.replace('"', '""') + '"'
            b.q("textarea#import-text").send_keys(f"imei,serial\n{imei(7003, '35391126')},{quoted}\n")
            b.q("button#import-preview").click()
            error = b.wait_for("the preview's .import-error", lambda: b.q("#import-result .import-error"))
            assert "data-xss" in error.text, f"the import error does not echo the serial as text: {error.text!r}"
            no_markup(b, "devices import preview")
        b.assert_not_broken()
    b.shot("xss-customers")
    print("markup shown as text in every view; the Content-Security-Policy was sent and nothing was refused")


if __name__ == "__main__":
    sys.exit(main(suite, __doc__))
