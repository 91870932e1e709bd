#!/usr/bin/env python3
"""Every route with every role: the roles openapi.yaml's x-kda-roles names succeed,
the others get 403 (kda.access) and change nothing.

The desk has a jointly managed customer (Acme) with a reseller it registered,
and a token of each role (the customer-admin's for Acme, the reseller's for
RS-0042). Every request names Acme (?customer=). Around each route's refused
attempts the test reads, as the msp-admin, the devices, profiles, customers,
resellers, tokens and ledger, and they must read the same after. Then tokens
that are missing, malformed, unknown or revoked get 401 (kda.http) with
WWW-Authenticate: Bearer. Expiry is in days and kdad has no fake clock, so
the expired token is one whose expiry the test moves into the past in
kdad.db while kdad is stopped (roles_test.cc checks token_caller() at given
times too).
"""

import copy
import json
import os
import sqlite3
import sys
import time

sys.dont_write_bytecode = True  # the helpers are imported from the source tree: leave no __pycache__ there
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_desk import ACME, ROLES, imei, main, with_customers  # noqa: E402

SHORT = {"msp-admin": "msp", "customer-admin": "ca", "reseller": "rs", "desk-operator": "op", "viewer": "vw"}
# Allowed, but the desk has no NFC reader: the role check passes and the
# service refuses for that (never kda.access).
NO_READER = {"kda.control", "kda.catalog", "kda.store"}


class Ctx:
    def __init__(self, desk, api, tokens, source):
        self.desk, self.api, self.tokens = desk, api, tokens
        self.customer = tokens["customer"]
        self.admin = tokens["msp-admin"]
        with open(os.path.join(source, "examples", "profiles", "staging-default.json"), encoding="utf-8") as f:
            self.profile = json.load(f)
        self.devices = {}  # (role, purpose) -> key
        self.token_ids = {}

    def q(self, **extra):
        return {"customer": self.customer, **extra}

    def admin_ok(self, method, path, body=None, **query):
        return self.api.ok(method, path, self.admin, body, query=self.q(**query))

    def profile_json(self, name):
        p = copy.deepcopy(self.profile)
        p["name"] = name
        return p


def setup(ctx):
    """What the routes act on: profiles, devices, resellers and tokens, some per role."""
    for name in ["Field", "Field-b"] + [f"Del-{s}" for s in SHORT.values()]:
        ctx.admin_ok("POST", "/profiles", ctx.profile_json(name))
    rows, n = [], 0
    for role in ROLES:
        for purpose in ("show", "approve", "reject", "assign", "unassign", "reset", "delete"):
            n += 1
            ctx.devices[(role, purpose)] = imei(n)
            rows.append({"imei": imei(n), "serial": f"SER{n:05d}", "profile": "Field", "tags": ["api"]})
    ctx.admin_ok("POST", "/devices", {"devices": rows})
    for s in SHORT.values():
        ctx.admin_ok("POST", "/resellers", {"reseller_id": f"RS-DEL-{s}", "name": "to remove", "approval": "automatic"})
    # The reseller shows a device of its own upload.
    ctx.devices[("reseller", "show")] = imei(900)
    ctx.api.ok("POST", "/devices", ctx.tokens["reseller"], {"devices": [{"imei": imei(900), "serial": "RSHOW1"}]},
               query=ctx.q())
    upgrade = {**ACME, "company_name": "Upgrade GmbH", "management": "Fully managed"}
    ctx.upgrade = ctx.api.ok("POST", "/customers", ctx.admin, upgrade, expect=201)["id"]
    for role in ROLES:
        made = ctx.api.ok("POST", "/tokens", ctx.admin, {"name": f"revoke-{SHORT[role]}", "role": "viewer",
                                                         "customer": ctx.customer}, expect=201)
        ctx.token_ids[role] = made["token"]["id"]


def cases(ctx):
    """(method, path template, body(role) or None, query(role) or None, statuses an allowed role may get)."""
    c, s = ctx.customer, SHORT
    dev = lambda purpose: lambda r: {"keys": [ctx.devices[(r, purpose)]]}  # noqa: E731
    delink = {"msp-admin": "request", "customer-admin": "reject"}
    ok = (200,)
    return [
        ("GET", "/status", None, None, ok),
        ("GET", "/me", None, None, ok),
        ("GET", "/reports/devices", None, None, ok),
        ("GET", "/reports/customers", None, None, ok),
        ("GET", "/customers", None, None, ok),
        ("POST", "/customers", lambda r: {"company_name": f"New {s[r]}", "size": "0-19", "country": "DE",
                                          "management": "Fully managed",
                                          "contact": {"first_name": "A", "last_name": "B", "email": f"{s[r]}@gmail.com"}},
         None, (201,)),
        ("GET", f"/customers/{c}", None, None, ok),
        ("PATCH", f"/customers/{c}", lambda r: {"industry": "Shipping"} if r == "msp-admin"
         else {"contact": {"phone": "+49 40 555 0100"}}, None, ok),
        # Acme is linked already: the MSP's request is refused for that, never for the role.
        ("POST", f"/customers/{c}/link", None, None, (409,)),
        ("POST", "/customers/{up}/upgrade", None, None, ok),
        ("POST", f"/customers/{c}/delink", lambda r: {"step": delink.get(r, "request")}, None, ok),
        # No link request is pending: refused for that.
        ("POST", f"/customers/{c}/consent", lambda r: {"accept": True}, None, (409,)),
        ("GET", "/resellers", None, None, ok),
        ("POST", "/resellers", lambda r: {"reseller_id": f"RS-NEW-{s[r]}", "name": "New", "approval": "every-upload"},
         None, (201,)),
        ("DELETE", "/resellers/RS-DEL-{s}", None, None, ok),
        ("PUT", "/resellers/RS-0042/approval", lambda r: {"approval": "automatic"}, None, ok),
        ("GET", "/profiles", None, None, ok),
        ("POST", "/profiles", lambda r: ctx.profile_json(f"New-{s[r]}"), None, (201,)),
        ("GET", "/profiles/Field", None, None, ok),
        ("PATCH", "/profiles/Field", lambda r: {"description": f"edited by {s[r]}"}, None, ok),
        ("DELETE", "/profiles/Del-{s}", None, None, ok),
        ("POST", "/profiles/Field/copy", lambda r: {"new_name": f"Copy-{s[r]}"}, None, (201,)),
        ("PUT", "/default-profile", lambda r: {"name": "Field"}, None, ok),
        ("GET", "/profiles/Field/qr", None, None, ok),
        ("GET", "/profiles/Field/qr.png", None, None, ok),
        ("GET", "/profiles/Field/ndef", None, None, ok),
        # No NFC reader on this desk: arming is refused for that.
        ("POST", "/nfc/tag", lambda r: {"profile": "Field"}, None, "nfc"),
        ("DELETE", "/nfc/tag", None, None, "nfc"),
        ("GET", "/devices", None, None, ok),
        ("POST", "/devices", lambda r: {"devices": [{"imei": imei(700 + ROLES.index(r)), "serial": f"UP-{s[r]}"}]},
         None, ok),
        ("POST", "/devices/approve", dev("approve"), None, ok),
        ("POST", "/devices/reject", dev("reject"), None, ok),
        ("POST", "/devices/unassign", dev("unassign"), None, ok),
        ("POST", "/devices/reset", dev("reset"), None, ok),
        ("POST", "/devices/delete", dev("delete"), None, ok),
        ("POST", "/devices/assign", lambda r: {**dev("assign")(r), "profile": "Field-b"}, None, ok),
        ("POST", "/devices/move", lambda r: {"from_profile": "Field-b", "to_profile": "Field"}, None, ok),
        ("GET", "/devices/export", None, None, ok),
        ("GET", "/devices/{show}", None, None, ok),
        ("GET", "/sessions", None, None, ok),
        # No session is waiting: refused as unknown, past the role check.
        ("POST", "/sessions/123456/confirm", None, None, (404,)),
        ("POST", "/sessions/123456/reject", lambda r: {"reason": "test"}, None, (404,)),
        ("GET", "/ledger", None, None, ok),
        ("GET", "/tokens", None, None, ok),
        ("POST", "/tokens", lambda r: {"name": f"new-{s[r]}", "role": "viewer", "customer": c}, None, (201,)),
        ("DELETE", "/tokens/{token_id}", None, None, ok),
        ("GET", "/events", None, None, ok),
    ]


def snapshot(ctx):
    """What a refused request must leave as it was, read by the msp-admin."""
    api, admin = ctx.api, ctx.admin
    out = {}
    for name, path, query in [("devices", "/devices", {"page_size": 1000}), ("profiles", "/profiles", ctx.q()),
                              ("own profiles", "/profiles", {"customer": ""}), ("customers", "/customers", {}),
                              ("resellers", "/resellers", {}), ("tokens", "/tokens", {}),
                              ("ledger", "/ledger", {"page_size": 1000})]:
        out[name] = api.ok("GET", path, admin, query=query)
    return out


def attempt(ctx, role, method, template, body, query):
    s = SHORT[role]
    path = template.replace("{s}", s).replace("{show}", ctx.devices.get((role, "show"), ctx.devices[("viewer", "show")]))
    path = path.replace("{token_id}", ctx.token_ids[role]).replace("{up}", ctx.upgrade)
    token = ctx.tokens[role]
    if template == "/events":
        r = ctx.api.open_events(token, timeout=10)
        if not hasattr(r, "status"):
            r.close()
            return 200, None
        return r.status, r
    r = ctx.api.request(method, path, token, json_body=body(role) if body else None, query={**ctx.q(), **(query or {})})
    return r.status, r


def check_route(ctx, route, allowed, failures):
    method, template, body, query, good = route
    before = snapshot(ctx)
    for role in ROLES:
        if role in allowed:
            continue
        status, r = attempt(ctx, role, method, template, body, query)
        if status != 403 or r.problem()[0] != "kda.access":
            failures.append(f"{method} {template} as {role}: expected 403 kda.access, got {r!r}")
    if snapshot(ctx) != before:
        failures.append(f"{method} {template}: a refused attempt changed something")
    for role in ROLES:  # in ROLES order: the msp-admin's delink request before the customer-admin's reject
        if role not in allowed:
            continue
        status, r = attempt(ctx, role, method, template, body, query)
        if good == "nfc":
            fine = status == 200 or (status >= 400 and r.problem()[0] in NO_READER)
        else:
            fine = status in good and (status < 400 or r.problem()[0] != "kda.access")
        if not fine:
            failures.append(f"{method} {template} as {role} (allowed): expected {good}, got {r!r}")


def secrets_variants(ctx, failures):
    """A read route that asks for secrets is the admins' only."""
    for path, query in [("/profiles/Field", {"reveal_secrets": "true"}), ("/devices/export", {"include_passwords": "true"})]:
        for role in ROLES:
            r = ctx.api.request("GET", path, ctx.tokens[role], query={**ctx.q(), **query})
            want = 200 if role in ("msp-admin", "customer-admin") else 403
            if r.status != want or (want == 403 and r.problem()[0] != "kda.access"):
                failures.append(f"GET {path} {query} as {role}: expected {want}, got {r!r}")


def who_am_i(ctx, failures):
    """GET /me tells each token who it is: every field, the empty ones too (customers [] = every customer)."""
    acme = [ctx.customer]
    want = {"msp-admin": ("msp", [], ""), "customer-admin": ("dana", acme, ""), "reseller": ("rita", acme, "RS-0042"),
            "desk-operator": ("omar", [], ""), "viewer": ("victor", [], "")}
    for role, (user, customers, reseller) in want.items():
        got = ctx.api.ok("GET", "/me", ctx.tokens[role])
        if got != {"user": user, "role": role, "customers": customers, "reseller": reseller}:
            failures.append(f"GET /me as {role}: {got}")
    # A customer the token does not reach is refused as any route refuses it.
    r = ctx.api.request("GET", "/me", ctx.tokens["customer-admin"], query={"customer": "9999999999"})
    if r.status != 403 or r.problem()[0] != "kda.access":
        failures.append(f"GET /me?customer=another as the customer-admin: expected 403 kda.access, got {r!r}")


def audited(ctx, failures):
    """A write through the API is the token's in the ledger: its name and role."""
    entries = ctx.api.ok("GET", "/ledger", ctx.admin, query={"device": ctx.devices[("customer-admin", "approve")]})
    if not any("dana as customer-admin" in e.get("reason", "") for e in entries["entries"]):
        failures.append(f"the customer-admin's approval does not name dana as customer-admin: {entries}")


def bad_tokens(ctx, failures):
    revoked = ctx.desk.token("viewer", name="to-revoke")
    listed = ctx.api.ok("GET", "/tokens", ctx.admin)["tokens"]
    rid = next(t["id"] for t in listed if t["name"] == "to-revoke")
    assert ctx.api.ok("GET", "/status", revoked)
    ctx.desk.kdactl("tokens", "revoke", rid, check=True)
    cases = [(None, "unauthenticated"), ("", "unauthenticated"), ("not-a-token", "unauthenticated"),
             ("kda_" + "A" * 43, "unauthenticated"), (revoked, "token_revoked")]
    for token, title in cases:
        headers = {"Authorization": "Bearer " + token} if token is not None else {}
        r = ctx.api.request("GET", "/status", None, headers=headers)
        if r.status != 401 or r.problem() != ("kda.http", title) or "bearer" not in r.header("www-authenticate").lower():
            failures.append(f"token {token!r}: expected 401 kda.http {title} with WWW-Authenticate, got {r!r}")
    r = ctx.api.request("GET", "/status", None, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    if r.status != 401:
        failures.append(f"Basic authorization: expected 401, got {r!r}")


def expired_token(ctx, failures):
    """A token past its expiry gets 401 token_expired (and tokens outlive a restart)."""
    token = ctx.desk.token("viewer", name="to-expire", expires=1)
    assert ctx.api.ok("GET", "/status", token)
    ctx.desk.stop()
    db = sqlite3.connect(os.path.join(ctx.desk.state_dir, "kdad.db"))
    with db:
        moved = db.execute("UPDATE api_tokens SET expires_ms = 1000 WHERE name = 'to-expire'").rowcount
    db.close()
    assert moved == 1, "no token named to-expire in kdad.db's api_tokens"
    ctx.desk.start()
    r = ctx.api.request("GET", "/status", token)
    if r.status != 401 or r.problem() != ("kda.http", "token_expired"):
        failures.append(f"an expired token: expected 401 kda.http token_expired, got {r!r}")
    if ctx.api.request("GET", "/status", ctx.admin).status != 200:
        failures.append("the msp-admin's token after a restart was refused")


def suite(make_desk, args):
    desk = make_desk()
    desk.start()
    api = desk.client()
    ctx = Ctx(desk, api, with_customers(desk, api), os.path.abspath(args.source))
    setup(ctx)
    failures = []
    routes = {(m, t): op for m, t, _, op in desk.contract.operations}
    tested = set()
    for route in cases(ctx):
        method, template = route[0], route[1]
        doc_path = "/api/v1" + template
        doc_path = doc_path.replace("RS-DEL-{s}", "{reseller_id}").replace("RS-0042", "{reseller_id}")
        doc_path = doc_path.replace("/" + ctx.customer, "/{id}").replace("/123456/", "/{id}/")
        doc_path = doc_path.replace("Del-{s}", "{name}").replace("/Field", "/{name}")
        doc_path = doc_path.replace("{show}", "{key}").replace("{token_id}", "{id}").replace("{up}", "{id}")
        op = routes.get((method, doc_path))
        assert op is not None, f"{method} {doc_path}: not in openapi.yaml"
        tested.add((method, doc_path))
        check_route(ctx, route, set(op["x-kda-roles"]), failures)
    secrets_variants(ctx, failures)
    who_am_i(ctx, failures)
    audited(ctx, failures)
    bad_tokens(ctx, failures)
    operations_roles(ctx, failures)
    expired_token(ctx, failures)
    tested.add(("GET", "/api/v1/operations/{id}"))
    untested = sorted(set(routes) - tested)
    if untested:
        failures.append(f"routes this test does not try: {untested}")
    assert desk.alive(), "kdad exited"
    assert not failures, "\n".join(failures)
    print(f"{len(tested)} routes x {len(ROLES)} roles, {api.checked} responses checked against the contract")


def operations_roles(ctx, failures):
    """A long upload's operation: its starter and an msp-admin read it; everyone else is told it does not exist."""
    rows = "imei,serial\n" + "".join(f"{imei(10000 + i)},OP{i:05d}\n" for i in range(5001))
    r = ctx.api.request("POST", "/devices", ctx.tokens["customer-admin"], body=rows, content_type="text/csv",
                        query=ctx.q())
    if r.status != 202:
        failures.append(f"a 5,001-row upload: expected 202, got {r!r}")
        return
    location = r.header("location")
    path = location[len("/api/v1"):] if location.startswith("/api/v1") else location
    deadline = time.time() + 60
    while time.time() < deadline:
        op = ctx.api.ok("GET", path, ctx.tokens["customer-admin"])
        if op["state"] != "running":
            break
        time.sleep(0.2)
    if op["state"] != "succeeded" or op.get("result", {}).get("added") != 5001:
        failures.append(f"the operation: {op}")
    for role in ROLES:
        r = ctx.api.request("GET", path, ctx.tokens[role])
        want = 200 if role in ("msp-admin", "customer-admin") else 404
        if r.status != want or (want == 404 and r.problem() != ("kda.http", "unknown_operation")):
            failures.append(f"GET {path} as {role}: expected {want}, got {r!r}")


if __name__ == "__main__":
    sys.exit(main(suite, __doc__))
