#!/usr/bin/env python3
"""The customers view (msp-admin), checked against `kdactl --json customers list`.

With Acme (jointly managed) and a reseller upload awaiting its approval: the
Acme row links the device awaiting approval to the uploads view of Acme. A
new customer added through the form as jointly managed with a webmail
address is refused beside the email field and nothing is added; with a work
address it is added. A column chosen in the column chooser is shown, and
still after a reload. Acme's city is edited. Acme's delink is requested
(confirmed) and revoked (confirmed). Export CSV downloads every customer.
"""

import csv
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import main  # noqa: E402
from api_desk import ACME, imei  # noqa: E402

NEW = "Borealis Freight AS"


def customers(run, desk):
    return {c["company_name"]: c for c in run.kdactl_json(desk, "customers", "list").get("customers", [])}


def fill(b, values):
    from selenium.webdriver.support.ui import Select
    for path, value in values.items():
        css = "#customer-" + path.replace(".", "-").replace("_", "-")
        e = b.wait_for(css, lambda: b.displayed(css))
        if e.tag_name == "select":
            Select(e).select_by_value(value)
        else:
            b.type(css, value)


def customer_action(b, cid, action):
    b.click(f'tr[data-customer="{cid}"] button[data-action="{action}"]')


def suite(run):
    desk = run.desk()
    desk.start()
    api = desk.client()
    admin = desk.token("msp-admin", name="msp")
    acme = api.ok("POST", "/customers", admin, ACME, expect=201)["id"]
    api.ok("POST", "/resellers", admin, {"reseller_id": "RS-0042", "name": "Reseller 42", "approval": "every-upload"},
           query={"customer": acme}, expect=201)
    reseller = desk.token("reseller", customer=acme, reseller="RS-0042", name="rita")
    api.ok("POST", "/devices", reseller, {"devices": [{"imei": imei(1, "35391129"), "serial": "RS1"}]},
           query={"customer": acme})

    b = run.browser(desk)
    b.sign_in(admin)
    b.go("customers")
    row = b.wait_for(f'tr[data-customer="{acme}"]', lambda: b.q(f'table#customers-table tr[data-customer="{acme}"]'))
    assert ACME["company_name"] in row.text, row.text
    pending = row.find_elements("css selector", '[data-attention="pending"]')
    assert pending and "1" in pending[0].text, f"Acme's row does not link its 1 device awaiting approval: {row.text!r}"
    since = b.mark()
    b.click(pending[0])
    b.wait_ready("uploads", since)
    b.wait_for("Acme's upload in the uploads view",
               lambda: next((g for g in b.qa("[data-upload]") if imei(1, "35391129") in g.text), None))

    # Add: refused beside the email field, then added.
    b.go("customers")
    b.click("button#customer-add")
    fill(b, {"company_name": NEW, "size": "20-99", "country": "NO", "contact.first_name": "Ola",
             "contact.last_name": "Nordmann", "contact.email": "ola.nordmann@gmail.com"})
    b.click("#customer-management-jointly")
    b.click("button#customer-save")
    error = b.wait_for("the email's error", lambda: b.displayed('.field-error[data-field="contact.email"]'))
    assert "gmail.com" in error.text or "work" in error.text, error.text
    b.axe("customers (add form with an error)")
    b.shot("customer-add-refused")
    assert NEW not in customers(run, desk), "a refused customer was added"
    fill(b, {"contact.email": "ola.nordmann@borealis-freight.example"})
    b.click("button#customer-save")
    added = b.wait_for(f"kdactl to list {NEW}", lambda: customers(run, desk).get(NEW))
    assert added["management"] == "Jointly managed" and added["contact"]["email"].endswith("borealis-freight.example")

    # A column chosen stays chosen.
    b.go("customers")
    b.click("#customers-columns summary")
    box = b.wait_for("the City column's box", lambda: b.displayed('#customers-columns input[data-column="city"]'))
    if not box.is_selected():
        b.click(box)
    b.wait_for("the City column", lambda: b.q('table#customers-table th[data-column="city"]'))
    b.driver.refresh()
    b.wait_ready("customers")
    assert b.q('table#customers-table th[data-column="city"]') is not None, "the chosen column is gone after a reload"
    assert "Hamburg" in b.q(f'tr[data-customer="{acme}"]').text

    # Edit Acme's city.
    customer_action(b, acme, "edit")
    fill(b, {"city": "Bremen"})
    b.click("button#customer-save")
    b.wait_for("kdactl to show Acme in Bremen", lambda: customers(run, desk)[ACME["company_name"]]["city"] == "Bremen")

    # Delink requested, then revoked.
    b.go("customers")
    customer_action(b, acme, "delink-request")
    b.answer_dialog(10)
    b.wait_for("kdactl to show Acme's delink requested",
               lambda: customers(run, desk)[ACME["company_name"]]["status"] == "Delink requested")
    customer_action(b, acme, "delink-revoke")
    b.answer_dialog(10)
    b.wait_for("kdactl to show Acme active again",
               lambda: customers(run, desk)[ACME["company_name"]]["status"] == "Active")

    # Export CSV.
    downloads = os.path.join(b.dir, "downloads")
    os.makedirs(downloads)
    b.driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    b.click("button#customers-export")
    path = b.wait_for("the customers CSV", lambda: next((os.path.join(downloads, f) for f in os.listdir(downloads)
                                                         if f.endswith(".csv")), None))
    with open(path, encoding="utf-8") as f:
        text = f.read()
    names = {r.get("company_name") for r in csv.DictReader(text.splitlines())}
    assert {ACME["company_name"], NEW} <= names or (ACME["company_name"] in text and NEW in text), \
        f"the export {os.path.basename(path)} does not hold both customers: {text[:300]!r}"
    print("customers: attention link, add refused then added, column kept, edit, delink and revoke, export")


if __name__ == "__main__":
    sys.exit(main(suite, __doc__))
