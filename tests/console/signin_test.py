#!/usr/bin/env python3
"""Signing in and out: the token stays in its tab, and a revoked token signs the tab out.

A token kdad does not know is refused on the sign-in form (#signin-error)
and nothing is kept. A viewer's token signs in: #whoami names it, the nav
has the viewer's views; the token is in this tab's sessionStorage only (no
cookie, nothing in localStorage, not in the address or the page); a reload
keeps the tab signed in; a new tab starts at the sign-in form. Revoked with
`kdactl tokens revoke`, the token's next use signs the tab out with the
reason on the sign-in form, and the tab forgets it. Sign out does the same
for an msp-admin's token. A customer-admin of a fully managed customer
signs in to one page saying its MSP administers the customer (#no-views),
with no nav, instead of a refusal in every view.
"""

import os
import secrets
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import main  # noqa: E402
from api_desk import ACME  # noqa: E402

VIEWER_VIEWS = {"desk", "ledger", "devices", "profiles", "fleet"}


def stored(b, token):
    """Where the page keeps the token: {"session": bool, "local": bool, "cookie": bool, "url": bool, "page": bool}."""
    return b.js("""
        const t = arguments[0];
        const has = s => { for (let i = 0; i < s.length; i++) if ((s.getItem(s.key(i)) || '').includes(t)) return true;
                           return false; };
        return {session: has(sessionStorage), local: has(localStorage), cookie: document.cookie.includes(t)
                || document.cookie !== '', url: location.href.includes(t),
                page: document.documentElement.outerHTML.includes(t) || document.body.innerText.includes(t)};""",
                token)


def signed_out(b, timeout=30):
    b.wait_for("the sign-in form", lambda: b.displayed("form#signin input#signin-token"), timeout)
    who = b.q("#whoami")
    assert who is None or not who.is_displayed() or not who.text.strip(), f"#whoami still says {who.text!r}"
    assert not [a for a in b.qa("a[data-nav]") if a.is_displayed()], "the nav is still shown after signing out"


def suite(run):
    desk = run.desk()
    desk.start()
    viewer = desk.token("viewer", name="victor")
    admin = desk.token("msp-admin", name="console-admin")
    b = run.browser(desk)

    # An unknown token: refused on the form, nothing kept.
    b.open("/")
    unknown = "kda_" + secrets.token_urlsafe(32)[:43]
    field = b.wait_for("the sign-in form", lambda: b.displayed("form#signin input#signin-token"))
    field.send_keys(unknown)
    b.q("button#signin-submit").click()
    error = b.wait_for("#signin-error to say why", lambda: (b.q("#signin-error").text.strip() or None))
    assert b.displayed("form#signin") is not None, "an unknown token left the sign-in form"
    assert not any(stored(b, unknown).values()), f"an unknown token was kept: {stored(b, unknown)}"
    b.shot("signin-refused")
    print(f"unknown token: {error}")

    # A viewer's token: its nav, kept in this tab's sessionStorage only.
    who = b.sign_in(viewer)
    assert who == "victor · viewer", f"#whoami says {who!r}"
    assert set(b.nav()) == VIEWER_VIEWS, f"a viewer's nav: {b.nav()}"
    b.wait_ready("desk")
    kept = stored(b, viewer)
    assert kept == {"session": True, "local": False, "cookie": False, "url": False, "page": False}, \
        f"where the viewer's token is kept: {kept}"
    b.driver.refresh()
    b.wait_for("#whoami after a reload", lambda: b.displayed("#whoami"))
    b.wait_ready("desk")
    first = b.driver.current_window_handle
    b.driver.switch_to.new_window("tab")
    b.open("/")
    signed_out(b)
    b.driver.close()
    b.driver.switch_to.window(first)

    # Revoked: the next use signs the tab out, with the reason.
    tokens = run.kdactl_json(desk, "tokens", "list")["tokens"]
    victor = next(t["id"] for t in tokens if t["name"] == "victor")
    desk.kdactl("tokens", "revoke", victor, check=True)
    link = b.displayed('a[data-nav="ledger"]')
    if link is not None:
        link.click()
    signed_out(b)
    reason = b.wait_for("#signin-error to give the reason", lambda: (b.q("#signin-error").text.strip() or None))
    assert "revoked" in reason.lower(), f"signed out with {reason!r}, which does not say the token was revoked"
    assert not any(stored(b, viewer).values()), f"the revoked token is still kept: {stored(b, viewer)}"

    # Sign out.
    b.sign_in(admin)
    b.wait_for("a view (the one the tab showed, #/ledger)", lambda: b.ready("ledger"))
    b.q("button#signout").click()
    signed_out(b, 10)
    assert not any(stored(b, admin).values()), f"the token is kept after signing out: {stored(b, admin)}"

    # A customer-admin of a fully managed customer: one page that says why, no views.
    api = desk.client()
    body = dict(ACME, company_name="Fully Managed AG", management="Fully managed")
    body["contact"] = dict(ACME["contact"], email="it@fully-managed.example")
    managed = api.ok("POST", "/customers", admin, body, expect=201)["id"]
    b.sign_in(desk.token("customer-admin", customer=managed, name="fiona"))
    page = b.wait_for("the fully managed page (#no-views)", lambda: b.displayed("#no-views"))
    assert "fully managed" in page.text and managed in page.text, f"#no-views says {page.text!r}"
    assert not b.nav(), f"a fully managed customer's admin has views: {b.nav()}"
    b.shot("signin-fully-managed")
    b.q("button#signout").click()
    signed_out(b, 10)
    print("sign-in, tab-scoped token, revocation and sign-out as the contract says; a fully managed customer's admin "
          "gets one page that says why")


if __name__ == "__main__":
    sys.exit(main(suite, __doc__))
