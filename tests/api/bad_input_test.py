#!/usr/bin/env python3
"""Bad input of every kind gets the right status, and kdad stays up.

Malformed JSON, wrong types and unknown fields (400, the detail naming the
field), a body above [http] max_body_mb (413), a Content-Type the route does
not take (415), invalid UTF-8, dot segments and encoded slashes in names,
an unknown route (404), a method a path does not take (405 with Allow), a
client that stalls half-way through its request (closed after
idle_seconds), and 2,000 idle connections at once (a normal request still
succeeds: those beyond max_connections are closed at once, the others once
idle), and more failed authentications from one address than
token_failures_per_minute (429, Retry-After, the good token too).
"""

import os
import resource
import selectors
import socket
import sys
import time

sys.dont_write_bytecode = True  # the helpers are imported from the source tree: leave no __pycache__ there
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_desk import main  # noqa: E402

IDLE_SECONDS = 2
MAX_CONNECTIONS = 512
FAILURES_PER_MINUTE = 5
HTTP_EXTRA = (f"max_body_mb = 1\nidle_seconds = {IDLE_SECONDS}\nmax_connections = {MAX_CONNECTIONS}\n"
              f"token_failures_per_minute = {FAILURES_PER_MINUTE}\n")


def expect(failures, r, status, category=None, title=None, names=None, what=""):
    """r must be a problem of that status (and code); its detail must contain `names`."""
    got = r.problem() if r.status >= 400 else None
    bad = r.status != status or (category and got[0] != category) or (title and got[1] != title)
    if not bad and names and names not in r.json().get("detail", ""):
        bad = True
    if bad:
        failures.append(f"{what}: expected {status} {category or ''} {title or ''} naming {names!r}, got {r!r}")


def json_cases(api, admin, failures):
    c = {"customer": ""}
    for body, names, what in [
        (b'{"devices": [', None, "truncated JSON"),
        (b'{"devices": [{"imei": 490154203237518}]}', "devices[0].imei", "a number for a string"),
        (b'{"devices": [{"imei": "490154203237518", "colour": "red"}]}', "devices[0].colour", "an unknown field"),
        (b'{"devices": {}}', "devices", "an object for an array"),
        (b'{"devices": [], "devices": []}', "devices", "a duplicate key"),
    ]:
        r = api.request("POST", "/devices", admin, body=body, content_type="application/json", query=c)
        expect(failures, r, 400, "kda.http", "bad_request" if names is None else "invalid_field", names, what)
    r = api.request("POST", "/devices/approve", admin, json_body={"keys": "x"}, query=c)
    expect(failures, r, 400, "kda.http", "invalid_field", "keys", "keys as a string")
    r = api.request("POST", "/devices/approve", admin, json_body={"all": True, "filter": {"colour": 1}}, query=c)
    expect(failures, r, 400, "kda.http", "invalid_field", "filter.colour", "an unknown filter field")
    r = api.request("POST", "/nfc/tag", admin, json_body={"profile": "Default", "reads": -1}, query=c)
    expect(failures, r, 400, "kda.http", "invalid_field", "reads", "a negative count")
    r = api.request("POST", "/devices", admin, body=b'{"devices": [{"serial": "\xff\xfe"}]}',
                    content_type="application/json", query=c)
    expect(failures, r, 400, "kda.http", what="invalid UTF-8 in JSON")
    r = api.request("POST", "/devices", admin, body=b"imei,serial,user_id\n490154203237518,A1,\xff\xfe\n", content_type="text/csv",
                    query=c)
    # A CSV is the import's, as from kdactl: its rules refuse the field, naming line and column.
    if not (r.status == 400 or (r.status == 422 and any("line 2, column user_id" in e for e in r.json()["errors"]))):
        failures.append(f"invalid UTF-8 in a CSV: expected 400, or 422 naming line 2's user_id, got {r!r}")
    r = api.request("POST", "/devices", admin, body=b"<xml/>", content_type="application/xml", query=c)
    expect(failures, r, 415, "kda.http", "unsupported_media_type", what="an XML upload")
    r = api.request("POST", "/devices", admin, body=b"x" * (1024 * 1024 + 10), content_type="text/csv", query=c)
    expect(failures, r, 413, "kda.http", "payload_too_large", what="a body above max_body_mb")
    r = api.request("GET", "/devices", admin, query={"page_size": "0"})
    expect(failures, r, 400, what="page_size 0")
    r = api.request("GET", "/devices", admin, query={"page_size": "1001"})
    expect(failures, r, 400, what="page_size 1001")
    r = api.request("GET", "/devices", admin, query={"colour": "red"})
    expect(failures, r, 400, "kda.http", "bad_request", what="an unknown query parameter")
    # A bad one inside a good request: the all-or-nothing import names the row.
    r = api.request("POST", "/devices", admin, json_body={"devices": [{"imei": "490154203237518", "serial": "A"},
                                                                       {"imei": "12345", "serial": "B"}]}, query=c)
    if r.status != 422 or not any("devices[1]" in e for e in r.json().get("errors", [])):
        failures.append(f"a bad IMEI in row 1: expected 422 with errors naming devices[1], got {r!r}")


def path_cases(api, admin, failures):
    for target, statuses in [("/api/v1/profiles/%2e%2e", (400, 404)), ("/api/v1/profiles/..%2Fkdad.db", (400, 404)),
                             ("/api/v1/profiles/%2e%2e%2f%2e%2e%2fetc%2fpasswd", (400, 404)),
                             ("/api/v1/profiles/%ff%fe", (400,)), ("/api/v1/../v1/status", (400, 404)),
                             ("/api/v1/devices/%00", (400, 404))]:
        r = api.request("GET", target, admin)
        if r.status not in statuses or not r.header("content-type").startswith("application/problem+json"):
            failures.append(f"GET {target}: expected {statuses} problem, got {r!r}")
    r = api.request("GET", "/api/v1/nothing-here", admin)
    expect(failures, r, 404, "kda.http", "not_found", what="an unknown route")
    r = api.request("GET", "/", admin)
    expect(failures, r, 404, what="the root")
    r = api.request("DELETE", "/api/v1/status", admin)
    expect(failures, r, 405, "kda.http", "method_not_allowed", what="DELETE /status")
    if "GET" not in r.header("allow"):
        failures.append(f"405 without Allow: GET: {r.headers}")
    r = api.request("PUT", "/api/v1/devices", admin, json_body={})
    allow = {m.strip() for m in r.header("allow").split(",")}
    if r.status != 405 or allow != {"GET", "POST"}:
        failures.append(f"PUT /devices: expected 405 with Allow GET, POST, got {r!r} Allow {allow}")


def stalled_client(desk, failures):
    """Half a request, then nothing: kdad closes the connection after idle_seconds."""
    s = socket.create_connection(("127.0.0.1", desk.http_port))
    s.sendall(b"GET /api/v1/status HTTP/1.1\r\nHost: x\r\nAuthor")
    s.settimeout(IDLE_SECONDS * 5 + 5)
    started = time.time()
    try:
        while s.recv(4096):
            pass
        closed_after = time.time() - started
        if closed_after > IDLE_SECONDS * 5:
            failures.append(f"a stalled client was closed after {closed_after:.1f} s (idle_seconds {IDLE_SECONDS})")
    except socket.timeout:
        failures.append("a stalled client was never closed")
    except ConnectionResetError:
        pass
    finally:
        s.close()


def idle_connections(desk, api, admin, failures):
    """2,000 connections that say nothing: those beyond max_connections are closed at once, the
    rest once idle_seconds pass; then a normal request succeeds, the 2,000 still open on our side."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < 4096:
        try:  # root may raise the hard limit too
            resource.setrlimit(resource.RLIMIT_NOFILE, (4096, max(hard, 4096)))
        except (ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft != resource.RLIM_INFINITY and soft < 2100:
        failures.append(f"2,000 idle connections need RLIMIT_NOFILE above 2,100; it is {soft} here")
        return
    held = []
    try:
        for _ in range(2000):
            try:
                held.append(socket.create_connection(("127.0.0.1", desk.http_port), timeout=5))
            except OSError as e:
                failures.append(f"connection {len(held)}: {e}")
                return
        closed = closed_by_peer(held, 2.0)
        if closed < len(held) - MAX_CONNECTIONS - 16:
            failures.append(f"of 2,000 idle connections kdad closed {closed} at once (max_connections {MAX_CONNECTIONS})")
        time.sleep(IDLE_SECONDS + 1)
        r = api.request("GET", "/status", admin)
        if r.status != 200:
            failures.append(f"with 2,000 idle connections held: {r!r}")
    finally:
        for s in held:
            s.close()


def closed_by_peer(sockets, seconds):
    """How many of the sockets the other side has closed within `seconds`."""
    with selectors.DefaultSelector() as sel:
        for s in sockets:
            sel.register(s, selectors.EVENT_READ)
        closed, deadline = set(), time.time() + seconds
        while time.time() < deadline:
            for key, _ in sel.select(timeout=0.2):
                try:
                    if key.fileobj.recv(1, socket.MSG_PEEK) == b"":
                        closed.add(key.fileobj)
                except OSError:
                    closed.add(key.fileobj)
                sel.unregister(key.fileobj)
        return len(closed)


def failed_authentications(api, admin, failures):
    """Beyond token_failures_per_minute failures from one address: 429 with Retry-After, even for a
    good token (it is not even looked at)."""
    for i in range(FAILURES_PER_MINUTE):
        r = api.request("GET", "/status", "kda_" + "B" * 43)
        expect(failures, r, 401, "kda.http", "unauthenticated", what=f"bad token {i + 1}")
    for token in ("kda_" + "B" * 43, admin):
        r = api.request("GET", "/status", token)
        expect(failures, r, 429, "kda.http", "too_many_failures", what="a token after too many failures")
        if not r.header("retry-after").isdigit():
            failures.append(f"429 without Retry-After: {r.headers}")


def suite(make_desk, args):
    desk = make_desk(http_extra=HTTP_EXTRA)
    desk.start()
    api = desk.client()
    admin = desk.token("msp-admin", name="admin")
    failures = []
    json_cases(api, admin, failures)
    path_cases(api, admin, failures)
    stalled_client(desk, failures)
    idle_connections(desk, api, admin, failures)
    time.sleep(IDLE_SECONDS + 1)
    r = api.request("GET", "/status", admin)
    if r.status != 200:
        failures.append(f"after it all: {r!r}")
    failed_authentications(api, admin, failures)
    assert desk.alive(), "kdad exited"
    assert not failures, "\n".join(failures)
    print(f"{api.checked} responses checked against the contract")


if __name__ == "__main__":
    sys.exit(main(suite, __doc__))
