#!/usr/bin/env python3
"""The profiles view's editor, copy, default, NDEF and delete, checked against `kdactl --json profile`.

An msp-admin edits "Staging default" with an http:// agent URL and a token
validity of 3 days: Save shows kdad's refusal beside each of the two fields
(.field-error[data-field]) and nothing changes. Corrected, Save stores the
new values and keeps the stored secrets (the editor sent none of them).
"Staging default" is copied as "Night shift" (secrets included), which is
made the default; its NDEF download is the provisioning record; "Staging
default" is deleted (confirmed).
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import main  # noqa: E402

STAGING, COPY = "Staging default", "Night shift"


def profiles(run, desk):
    return {p["name"]: p for p in run.kdactl_json(desk, "profile", "list").get("profiles", [])}


def shown(run, desk, name):
    return run.kdactl_json(desk, "profile", "show", name, "--reveal-secrets")


def set_text(b, path, value):
    b.type("#profile-" + path.replace(".", "-"), value)


def row_action(b, name, action):
    b.click(f'tr[data-profile="{name}"] button[data-action="{action}"]')


def beside(b, field):
    """The error shown for a field: in the same field box as its control, or named by its aria-describedby."""
    return b.js("""
        const f = arguments[0], input = document.getElementById('profile-' + f.replace(/\\./g, '-'));
        const err = document.querySelector(`.field-error[data-field="${f}"]`);
        if (!input || !err || err.offsetParent === null) return null;
        const wrap = e => e.closest('[data-field-wrap], .field, fieldset');
        const described = (input.getAttribute('aria-describedby') || '').split(/\\s+/).includes(err.id);
        return (wrap(err) === wrap(input) || described) ? err.textContent : null;""", field)


def suite(run):
    desk = run.desk()
    desk.start()
    admin = desk.token("msp-admin", name="profile-admin")
    before = shown(run, desk, STAGING)
    b = run.browser(desk)
    b.sign_in(admin)
    b.go("profiles")

    # Refused: each of kdad's messages beside its field; nothing stored.
    row_action(b, STAGING, "edit")
    b.wait_for("form#profile-editor", lambda: b.displayed("form#profile-editor"))
    set_text(b, "mdm_agent_apk_url", "http://insecure.example/agent.apk")
    set_text(b, "token_validity_days", "3")
    b.click("button#profile-save")
    url_error = b.wait_for("the agent URL's error beside its field", lambda: beside(b, "mdm_agent_apk_url"))
    days_error = b.wait_for("the token validity's error beside its field", lambda: beside(b, "token_validity_days"))
    assert "https" in url_error and "7" in days_error, f"the messages: {url_error!r}, {days_error!r}"
    b.axe("profiles (editor with errors)")
    b.shot("profile-errors")
    assert shown(run, desk, STAGING) == before, "a refused edit changed the profile"

    # Corrected: stored, and the secrets the editor showed as hidden are kept.
    set_text(b, "mdm_agent_apk_url", "https://mdm.example.net/agent.apk")
    set_text(b, "token_validity_days", "30")
    b.click("button#profile-save")
    after = b.wait_for("kdactl to show the edit",
                       lambda: (lambda p: p if p.get("mdm_agent_apk_url") == "https://mdm.example.net/agent.apk"
                                else None)(shown(run, desk, STAGING)))
    assert after.get("token_validity_days") == 30, after.get("token_validity_days")
    assert after["enrollment_token"] == before["enrollment_token"], "the edit changed the enrollment token"
    assert after["wifi"].get("password") == before["wifi"].get("password"), "the edit changed the Wi-Fi password"

    # Copy, secrets included.
    b.go("profiles")
    row_action(b, STAGING, "copy")
    b.type("#profile-copy-name", COPY)
    b.click("button#profile-copy")
    b.wait_for(f"kdactl to list {COPY}", lambda: COPY in profiles(run, desk))
    copied = shown(run, desk, COPY)
    assert copied["enrollment_token"] == after["enrollment_token"] and \
        copied["wifi"].get("password") == after["wifi"].get("password"), "the copy lost the secrets"

    # The default.
    b.go("profiles")
    row_action(b, COPY, "default")
    b.wait_for(f"kdactl to show {COPY} as the default", lambda: profiles(run, desk)[COPY].get("is_default"))

    # NDEF: the provisioning record, downloaded.
    downloads = os.path.join(b.dir, "downloads")
    os.makedirs(downloads)
    b.driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    row_action(b, COPY, "ndef")
    path = b.wait_for("the NDEF file", lambda: next((os.path.join(downloads, f) for f in os.listdir(downloads)
                                                      if not f.endswith(".crdownload")), None))
    with open(path, "rb") as f:
        ndef = f.read()
    assert b"application/com.android.managedprovisioning" in ndef, \
        f"{os.path.basename(path)} ({len(ndef)} bytes) is not the provisioning NDEF record"

    # Delete (confirmed).
    b.go("profiles")
    row_action(b, STAGING, "delete")
    b.answer_dialog(10)
    b.wait_for(f"kdactl to no longer list {STAGING}", lambda: STAGING not in profiles(run, desk))
    b.wait_for(f"the table to drop {STAGING}", lambda: b.q(f'tr[data-profile="{STAGING}"]') is None)
    print(f"edit refused beside its fields then stored with the secrets kept; copy, default, NDEF "
          f"({len(ndef)} bytes), delete")


if __name__ == "__main__":
    sys.exit(main(suite, __doc__))
