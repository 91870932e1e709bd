#!/usr/bin/env python3
"""The console follows the token's role: a desk-operator sees no secrets and no
customer management; a customer-admin sees only its own customer.

An msp-admin (through the API) adds a customer, Acme, devices of the desk's
own and of Acme, and a profile with a random Wi-Fi password and enrollment
token. A desk-operator signs in: its nav has no customers or uploads (nor
do their routes open them), the profiles view offers no QR, NDEF, reveal or
copy, the devices view no import or bulk action, and neither secret is
anywhere in the page (its HTML, text, form values) or in any answer the
page received. A customer-admin of Acme signs in: no customers nav or
route, no customer selector, only Acme's devices, not the desk's profile,
no ledger row of the desk's devices, and every /api answer it got is about
Acme. A reseller of Acme has the devices view only, sees only its own
upload there, and imports another device through the preview (kdactl shows
it in Acme, with the reseller as its source). axe-core checks what each
role's views look like (the desk-operator's read-only profile, the
customer-admin's and the reseller's devices).
"""

import json
import os
import secrets
import sys
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import main  # noqa: E402
from api_desk import imei, with_customers  # noqa: E402

OWN = [imei(n, "35391121") for n in range(1, 4)]
ACME_DEVICES = [imei(n, "35391122") for n in range(1, 4)]
RESOLD = [imei(n, "35391130") for n in range(1, 3)]
PROFILE = "Secret Wi-Fi"


def secret_profile(source, wifi_password, enrollment_token):
    with open(os.path.join(source, "examples", "profiles", "staging-default.json"), encoding="utf-8") as f:
        p = json.load(f)
    p["name"] = PROFILE
    p["enrollment_token"] = enrollment_token
    p["wifi"]["password"] = wifi_password
    return p


def open_first_profile_row(b):
    """Opens the profile's row (its link or button, else the row itself) and waits for the view again."""
    row = b.wait_for(f'tr[data-profile="{PROFILE}"]', lambda: b.q(f'table#profiles-table tr[data-profile="{PROFILE}"]'))
    since = b.mark()
    target = (row.find_elements("css selector", "a") or row.find_elements("css selector", "button") or [row])[0]
    target.click()
    b.wait_ready("profiles", since)


def visible_controls(b, pattern_text):
    """Buttons and links shown whose text or label mentions any of the words (case-insensitive)."""
    return b.js("""
        const re = new RegExp(arguments[0], 'i');
        return [...document.querySelectorAll('button, a, [role=button], summary')]
          .filter(e => e.offsetParent !== null && !e.disabled)
          .map(e => (e.textContent + ' ' + (e.getAttribute('aria-label') || '')).trim())
          .filter(t => re.test(t));""", pattern_text)


def turned_away(b, view):
    """Typing the route of a view the role may not use (#/view) shows another view, not that one."""
    since = b.mark()
    b.js("location.hash = arguments[0]", f"#/{view}")
    shown = b.wait_for(f"a view ready after #/{view}",
                       lambda: b.js("return window.__kdaReady") > since
                       and b.q('main section[data-view][data-ready="true"]'))
    assert shown.get_attribute("data-view") != view, f"#/{view} opened the {view} view for this role"


def desk_operator(run, desk, token, secret_values):
    b = run.browser(desk)
    who = b.sign_in(token)
    assert "desk-operator" in who, f"#whoami says {who!r}"
    nav = b.nav()
    assert "customers" not in nav and "uploads" not in nav, f"a desk-operator's nav: {nav}"
    assert {"desk", "ledger", "devices", "profiles", "fleet"} <= set(nav), f"a desk-operator's nav: {nav}"
    turned_away(b, "customers")
    turned_away(b, "uploads")

    b.go("profiles")
    open_first_profile_row(b)
    for css in ("img#profile-qr", "button#profile-ndef", "button#profile-copy", "button#profile-save",
                "button#profile-delete", "button#profile-default"):
        e = b.q(css)
        assert e is None or not e.is_displayed() or not e.is_enabled(), f"a desk-operator is offered {css}"
    offered = visible_controls(b, r"reveal|show secret|show password|qr|ndef")
    assert not offered, f"a desk-operator's profiles view offers {offered}"
    b.axe("profiles (a desk-operator's read-only profile)")
    b.shot("roles-desk-operator-profiles")

    b.go("devices")
    for css in ("textarea#import-text", "input#import-file", "button#import-preview", "button#import-commit",
                "button[data-bulk]", "input.device-select"):
        e = b.q(css)
        assert e is None or not e.is_displayed(), f"a desk-operator's devices view shows {css}"
    rows = {r.get_attribute("data-device") for r in b.qa("table#devices-table tr[data-device]")}
    assert set(OWN) <= rows, f"the desk-operator's devices view lists {sorted(rows)}"

    for view in ("desk", "ledger", "fleet"):
        b.go(view)
    page = b.dom_text()
    answers = b.api_answers()
    for name, value in secret_values.items():
        assert value not in page, f"the {name} is in the desk-operator's page"
        for status, url, body in answers:
            assert body is None or value not in body, f"the {name} is in the answer to {url}"
    refused = [(status, url) for status, url, _ in answers if status in (401, 403)]
    assert not refused, f"the console asked for what a desk-operator may not have: {refused}"
    b.assert_not_broken()
    b.quit()


def customer_admin(run, desk, token, acme, secret_values):
    b = run.browser(desk)
    who = b.sign_in(token)
    assert "dana" in who and "customer-admin" in who, f"#whoami says {who!r}"
    nav = b.nav()
    assert "customers" not in nav, f"a customer-admin's nav: {nav}"
    turned_away(b, "customers")
    assert b.q("select#customer-select") is None or not b.q("select#customer-select").is_displayed(), \
        "a customer-admin of one customer is offered a customer selector"

    b.go("devices")
    rows = b.wait_for("Acme's 3 devices in the devices table",
                      lambda: {r.get_attribute("data-device") for r in b.qa("table#devices-table tr[data-device]")}
                      or None)
    assert rows == set(ACME_DEVICES), f"the customer-admin's devices view lists {sorted(rows)}"
    b.axe("devices (a customer-admin)")
    b.shot("roles-customer-admin-devices")

    b.go("profiles")
    assert b.q(f'tr[data-profile="{PROFILE}"]') is None, "a customer-admin of Acme sees the desk's own profile"
    b.go("ledger")
    text = b.q("main").text
    leaked = [k for k in OWN if k in text]
    assert not leaked, f"the customer-admin's ledger shows the desk's own devices {leaked}"
    b.go("desk")

    answers = b.api_answers()
    assert answers, "the page received no /api answers"
    for status, url, body in answers:
        assert status not in (401, 403), f"the customer-admin's console was refused {url}: {status} {body}"
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query, keep_blank_values=True)
        assert query.get("customer", [acme]) == [acme], f"a customer-admin's request for another customer: {url}"
        if not body:
            continue
        for key in OWN:
            assert key not in body, f"the answer to {url} names the desk's own device {key}"
        for name, value in secret_values.items():
            assert value not in body, f"the {name} of the desk's profile is in the answer to {url}"
        if urllib.parse.urlsplit(url).path == "/api/v1/me":
            me = json.loads(body)
            assert me.get("role") == "customer-admin" and me.get("customers") == [acme], f"/me: {me}"
    b.assert_not_broken()
    b.quit()


def reseller(run, desk, api, token, acme):
    """A reseller: the devices view only, its own uploads only, and an import through the preview."""
    api.ok("POST", "/devices", token, {"devices": [{"imei": RESOLD[0], "serial": "RS0"}]}, query={"customer": acme})
    b = run.browser(desk)
    who = b.sign_in(token)
    assert "rita" in who and "reseller" in who, f"#whoami says {who!r}"
    assert b.nav() == ["devices"], f"a reseller's nav: {b.nav()}"
    b.go("devices")
    shown = {r.get_attribute("data-device") for r in b.qa("table#devices-table tr[data-device]")}
    assert shown == {RESOLD[0]}, f"a reseller sees {sorted(shown)}, not only its own upload"
    for css in ("button[data-bulk]", "input.device-select"):
        e = b.q(css)
        assert e is None or not e.is_displayed(), f"a reseller's devices view shows {css}"
    b.type("textarea#import-text", f"imei,serial\n{RESOLD[1]},RS1\n")
    b.click("button#import-preview")
    b.wait_for("the reseller's preview to count 1 added",
               lambda: (b.q('#import-result [data-preview="added"]') is not None
                        and "1" in b.q('#import-result [data-preview="added"]').text))
    b.click("button#import-commit")
    listed = b.wait_for("kdactl to list the reseller's import in Acme",
                        lambda: (lambda d: d if set(d) == set(RESOLD) else None)(
                            {d["key"]: d for d in run.kdactl_json(desk, "--customer", acme, "devices", "list")
                             .get("devices", []) if d["key"] in RESOLD}))
    assert listed[RESOLD[1]].get("source") == "RS-0042", f"the reseller's import: {listed[RESOLD[1]]}"
    b.wait_for("the reseller's two devices in its table",
               lambda: {r.get_attribute("data-device") for r in b.qa("table#devices-table tr[data-device]")}
               == set(RESOLD))
    b.axe("devices (a reseller)")
    b.shot("roles-reseller-devices")
    b.assert_not_broken()
    b.quit()


def suite(run):
    desk = run.desk()
    desk.start()
    api = desk.client()
    tokens = with_customers(desk, api)
    admin, acme = tokens["msp-admin"], tokens["customer"]
    api.ok("POST", "/devices", admin, {"devices": [{"imei": k, "serial": f"OWN{i}"} for i, k in enumerate(OWN)]},
           query={"customer": ""})
    api.ok("POST", "/devices/approve", admin, {"keys": OWN}, query={"customer": ""})
    api.ok("POST", "/devices", admin,
           {"devices": [{"imei": k, "serial": f"ACME{i}"} for i, k in enumerate(ACME_DEVICES)]},
           query={"customer": acme})
    values = {"Wi-Fi password": "wifi-" + secrets.token_urlsafe(18),
              "enrollment token": "enroll-" + secrets.token_urlsafe(18)}
    api.ok("POST", "/profiles", admin, secret_profile(run.args.source, values["Wi-Fi password"],
                                                      values["enrollment token"]),
           query={"customer": ""}, expect=201)
    shown = api.ok("GET", "/profiles/" + urllib.parse.quote(PROFILE), admin,
                   query={"customer": "", "reveal_secrets": "true"})
    assert shown["wifi"]["password"] == values["Wi-Fi password"], "the profile was not stored as sent"

    desk_operator(run, desk, tokens["desk-operator"], values)
    customer_admin(run, desk, tokens["customer-admin"], acme, values)
    reseller(run, desk, api, tokens["reseller"], acme)
    print("desk-operator: no secrets, no customer management; customer-admin: Acme only; reseller: its uploads")


if __name__ == "__main__":
    sys.exit(main(suite, __doc__))
