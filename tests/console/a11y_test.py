#!/usr/bin/env python3
"""Every view passes axe-core (no serious or critical violation) and the keyboard reaches the controls.

On a desk with a customer, devices (pending and approved, the desk's own and
the customer's) and profiles: the sign-in page, then every view an msp-admin
has (desk, uploads, devices, profiles, ledger, customers, fleet) is checked
with axe-core and saved as a screenshot at 1280x800, and the desk again at
800x1280 (a tablet). The sign-in form is filled and sent with the keyboard
alone (Tab to the field, type, Tab to the button, Enter), and Tab then
reaches every nav link, each with a visible focus indicator; Enter on a nav
link opens its view.
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import main  # noqa: E402
from api_desk import imei, with_customers  # noqa: E402

VIEWS = ("desk", "uploads", "devices", "profiles", "ledger", "customers", "fleet")
FOCUSED = """
    const e = document.activeElement;
    if (!e || e === document.body) return null;
    const s = getComputedStyle(e);
    return {tag: e.tagName.toLowerCase(), id: e.id, nav: e.getAttribute('data-nav'), type: e.type || '',
            visible: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none'};"""


def tab(b, times=1):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    for _ in range(times):
        ActionChains(b.driver).send_keys(Keys.TAB).perform()
    return b.js(FOCUSED)


def press(b, key):
    from selenium.webdriver.common.action_chains import ActionChains
    ActionChains(b.driver).send_keys(key).perform()


def tab_until(b, wanted, limit, what):
    """Tabs until wanted(focused) (at most limit times); every control on the way must show its focus."""
    seen = []
    for _ in range(limit):
        f = tab(b)
        seen.append(f)
        if f is None:
            continue
        assert f["visible"], f"{f['tag']}#{f['id']} has focus without a visible focus indicator (outline or shadow)"
        if wanted(f):
            return f
    raise AssertionError(f"Tab did not reach {what} within {limit} presses; focus went to "
                         f"{[(f['tag'], f['id'] or f['nav']) if f else None for f in seen]}")


def keyboard_sign_in(b, token):
    from selenium.webdriver.common.keys import Keys
    b.open("/")
    b.wait_for("the sign-in form", lambda: b.displayed("form#signin input#signin-token"))
    tab_until(b, lambda f: f["id"] == "signin-token", 10, "input#signin-token")
    press(b, token)
    tab_until(b, lambda f: f["id"] == "signin-submit", 5, "button#signin-submit")
    press(b, Keys.ENTER)
    b.wait_for("#whoami after a keyboard sign-in", lambda: b.displayed("#whoami"))


def keyboard_nav(b):
    from selenium.webdriver.common.keys import Keys
    b.js("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    want = set(b.nav())
    assert set(VIEWS) <= want, f"an msp-admin's nav: {sorted(want)}"
    reached = set()
    tab_until(b, lambda f: reached.add(f["nav"]) or want <= reached, 60, f"every nav link ({sorted(want)})")
    # Back to the ledger's link (Shift+Tab) and open it with Enter.
    from selenium.webdriver.common.action_chains import ActionChains
    for _ in range(len(want) + 2):
        f = b.js(FOCUSED)
        if f and f["nav"] == "ledger":
            break
        ActionChains(b.driver).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
    assert (b.js(FOCUSED) or {}).get("nav") == "ledger", "Shift+Tab did not come back to the ledger's nav link"
    since = b.mark()
    press(b, Keys.ENTER)
    b.wait_ready("ledger", since)


def suite(run):
    desk = run.desk()
    desk.start()
    api = desk.client()
    tokens = with_customers(desk, api)
    admin, acme = tokens["msp-admin"], tokens["customer"]
    own = [{"imei": imei(n, "35391124"), "serial": f"A11Y{n}", "user_id": f"user{n}", "tags": ["floor-2"]}
           for n in range(8)]
    api.ok("POST", "/devices", admin, {"devices": own}, query={"customer": ""})
    api.ok("POST", "/devices/approve", admin, {"keys": [d["imei"] for d in own[:4]]}, query={"customer": ""})
    api.ok("POST", "/devices", tokens["reseller"],
           {"devices": [{"imei": imei(n, "35391125"), "serial": f"RS{n}"} for n in range(3)]},
           query={"customer": acme})

    b = run.browser(desk)
    b.open("/")
    b.wait_for("the sign-in form", lambda: b.displayed("form#signin"))
    b.axe("sign-in")
    b.shot("signin")
    keyboard_sign_in(b, admin)
    keyboard_nav(b)

    for view in VIEWS:
        b.go(view)
        b.axe(view)
        b.shot(view)
    b.resize(800, 1280)
    b.go("desk")
    b.axe("desk (800x1280)")
    b.shot("desk-tablet")
    print(f"axe: sign-in and {len(VIEWS)} views without serious or critical violations; keyboard: sign-in and nav")


if __name__ == "__main__":
    sys.exit(main(suite, __doc__))
