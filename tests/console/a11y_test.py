#!/usr/bin/env python3
"""Every view passes axe-core (no serious or critical violation) and the keyboard reaches the controls.

On a desk with a customer, devices (pending and approved, the desk's own and
the customer's) and profiles: the sign-in page, then every view an msp-admin
has (desk, uploads, devices, profiles, ledger, customers, fleet) is checked
with axe-core and saved as a screenshot at 1280x800, and again at 800x1280
(a tablet: <view>-tablet.png, the desk checked with axe-core too); at both
sizes no view makes the page scroll sideways. So are some states within
views: the devices import's preview with an error, the uploads' reject
confirmation, the profile editor with its QR code (which zbarimg must read
from the screen, at least 320 px wide) and the add-customer form. The
sign-in form is filled and sent with the keyboard alone (Tab to the field,
type, Tab to the button, Enter), and Tab then reaches every nav link, each
with a visible focus indicator; Enter on a nav link opens its view.
"""

import os
import subprocess
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


def import_preview(b):
    """Devices: an import preview that finds an error (the errors list, the counts)."""
    b.q("textarea#import-text").send_keys(f"imei,serial\n{imei(900, '35391124')},NEW900\n12345,BAD\n")
    b.q("button#import-preview").click()
    b.wait_for("the preview's .import-error", lambda: b.q("#import-result .import-error"))
    b.axe("devices (import preview with an error)")
    b.shot("devices-import-errors")


def reject_dialog(b):
    """Uploads: the confirmation a reject asks for (a modal dialog), then cancelled."""
    b.q('[data-upload] button[data-action="reject"]').click()
    dialog = b.wait_for("the reject confirmation", lambda: b.displayed("dialog[open]"))
    b.axe("uploads (reject confirmation)")
    b.shot("uploads-reject-dialog")
    dialog.find_element("css selector", 'button[data-action="dialog-cancel"]').click()
    b.wait_for("the dialog to close", lambda: b.displayed("dialog[open]") is None)


def profile_qr(b):
    """Profiles: the editor and the QR code, which must decode (zbarimg) from the screen and be >= 320 px."""
    b.q('tr[data-profile="Staging default"] button[data-action="qr"]').click()

    def shown():
        show = b.displayed('button#profile-qr-show[aria-expanded="false"]')
        if show is not None:
            show.click()
        img = b.displayed("img#profile-qr")
        return img if img is not None and b.js("return arguments[0].complete && arguments[0].naturalWidth", img) \
            else None
    img = b.wait_for("img#profile-qr", shown)
    b.js("arguments[0].scrollIntoView({block: 'center'})", img)
    b.wait_for("the QR code's size to settle", lambda: img.size["width"] >= 320)
    assert img.size["width"] == img.size["height"], f"the QR code is {img.size}, not square"
    b.axe("profiles (editor and QR code)")
    b.shot("profile-qr", notices=False)
    png = os.path.join(b.dir, "qr.png")
    with open(png, "wb") as f:
        f.write(img.screenshot_as_png)
    r = subprocess.run(["zbarimg", "--quiet", "--raw", png], capture_output=True, text=True, timeout=30)
    # The payload holds the profile's secrets: checked, never printed.
    assert r.returncode == 0 and "android.app.extra.PROVISIONING" in r.stdout, \
        f"zbarimg could not read the QR code as shown on the screen (exit {r.returncode})"


def customer_form(b):
    """Customers: the add form."""
    b.q("button#customer-add").click()
    b.wait_for("the add-customer form", lambda: b.displayed("#customer-add-new"))
    b.axe("customers (add form)")
    b.shot("customers-add")


def fleet_row(b):
    """Fleet: this desk (kdad.toml's name) is a row, up."""
    row = b.wait_for('tr[data-desk] of "API desk"',
                     lambda: next((r for r in b.qa("table#fleet-table tr[data-desk]") if "API desk" in r.text), None))
    assert row.get_attribute("data-desk"), row.text


STATES = {"fleet": fleet_row, "devices": import_preview, "uploads": reject_dialog, "profiles": profile_qr, "customers": customer_form}


def fits(b, where):
    """The page does not scroll sideways (a wide table scrolls in its own box), and the nav and
    the view's heading are on the screen."""
    b.settle()
    over = b.js("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert over <= 1, f"{where}: the page is {over} px wider than the window"
    for css in ("nav a[data-nav]", "main section[data-view] h1"):
        e = b.q(css)
        assert e is not None and e.is_displayed(), f"{where}: {css} is not shown"
        box = b.js("const r = arguments[0].getBoundingClientRect(); return [r.left, r.right]", e)
        assert box[0] >= 0 and box[1] <= b.js("return window.innerWidth"), f"{where}: {css} is off the screen {box}"


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
        b.shot(view, notices=False)
        fits(b, view)
        if view in STATES:
            STATES[view](b)
    b.resize(800, 1280)
    for view in VIEWS:
        b.go(view)
        fits(b, f"{view} (800x1280)")
        b.shot(f"{view}-tablet")
    b.go("desk")
    b.axe("desk (800x1280)")
    print(f"axe: sign-in and {len(VIEWS)} views without serious or critical violations; keyboard: sign-in and nav")


if __name__ == "__main__":
    sys.exit(main(suite, __doc__))
