#!/usr/bin/env python3
"""The events stream delivers a session's whole life, and a dropped subscriber
resumes with Last-Event-ID without a gap.

Under the admin confirmation policy a desk-operator's token subscribes to
/api/v1/events; kda-target enrolls an approved device; the session appears
with its SAS code (the one kda-target prints). The subscriber drops right
then, the operator confirms through POST /sessions/{id}/confirm, and a new
subscription with the last id seen replays what it missed: the outcome's
ledger entry and the session's end. Event numbers across both
subscriptions run on without a gap or a repeat. A customer-admin of another
customer, subscribed all along, sees none of it. A Last-Event-ID of another
boot starts with a reset event.
"""

import os
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # the helpers are imported from the source tree: leave no __pycache__ there
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_desk import ACME, main, running  # noqa: E402

CONFIRM = '[transports.tcp]\nlisten = "127.0.0.1:0"\nconfirm = "admin"\nconfirm_timeout_s = 60\n'
IMEI, SERIAL = "490154203237518", "R58M12345AB"


def number(event):
    m = re.fullmatch(r"(\d+)-(\d+)", event["id"] or "")
    assert m, f"an event id that is not BOOT-N: {event}"
    return int(m.group(1)), int(m.group(2))


def read_until(stream, seen, done, deadline):
    """Appends events to seen until done(event) or the deadline; returns the event that was done."""
    while time.time() < deadline:
        e = stream.next()
        assert e is not None, f"the stream ended; events so far: {[x['event'] for x in seen]}"
        seen.append(e)
        if done(e):
            return e
    raise AssertionError(f"not seen within the time; events: {[(x['id'], x['event']) for x in seen]}")


def waiting(e):
    s = e["data"].get("session", {}) if e["event"] == "session" else {}
    return bool(s.get("sas")) and s.get("waiting_for_confirmation", False)


def suite(make_desk, args):
    desk = make_desk(extra_toml=CONFIRM)
    desk.start()
    api = desk.client()
    admin = desk.token("msp-admin", name="admin")
    operator = desk.token("desk-operator", name="omar")
    api.ok("POST", "/devices", admin, {"devices": [{"imei": IMEI, "serial": SERIAL, "user_id": "alice"}]})
    api.ok("POST", "/devices/approve", admin, {"keys": [IMEI]})

    # A customer-admin of another customer subscribes too: the desk's own device is none of its business.
    acme = api.ok("POST", "/customers", admin, ACME, expect=201)["id"]
    outsider = api.open_events(desk.token("customer-admin", customer=acme, name="dana"), timeout=3)
    assert not hasattr(outsider, "status"), f"GET /events as a customer-admin: {outsider!r}"
    first = api.open_events(operator, timeout=30)
    assert not hasattr(first, "status"), f"GET /events: {first!r}"
    argv = [os.path.join(desk.bin_dir, "kda-target"), "enroll", "--tcp", f"127.0.0.1:{desk.tcp_port}",
            "--imei", IMEI, "--serial", SERIAL, "--model", "SM-G991B", "--timeout", "60"]
    with running(argv, stderr=subprocess.STDOUT) as target:
        deadline = time.time() + 30
        seen = []
        shown = read_until(first, seen, waiting, deadline)
        first.close()  # dropped, right when the SAS shows
        session = shown["data"]["session"]
        confirmed = api.ok("POST", f"/sessions/{session['id']}/confirm", operator)
        assert confirmed.get("count", 1) >= 1, confirmed
        out, _ = target.communicate(timeout=60)
    assert target.returncode == 0, f"kda-target exited {target.returncode}:\n{out}"
    sas = re.search(r"SAS code: ([\d ]+)", out).group(1).replace(" ", "")
    assert re.sub(r"\D", "", session["sas"]) == sas, f"the stream's SAS {session['sas']}, the target's {sas}"

    second = api.open_events(operator, last_event_id=seen[-1]["id"], timeout=30)
    assert not hasattr(second, "status"), f"GET /events with Last-Event-ID: {second!r}"
    resumed = []
    provisioned = lambda e: (e["event"] == "ledger" and e["data"]["ledger"].get("device") == IMEI  # noqa: E731
                             and e["data"]["ledger"].get("state") == "Provisioned")
    read_until(second, resumed, provisioned, time.time() + 30)
    if not any(e["event"] == "session_ended" for e in resumed):
        read_until(second, resumed, lambda e: e["event"] == "session_ended", time.time() + 15)
    second.close()

    numbered = [number(e) for e in seen + resumed if e["event"] != "reset"]
    assert all(e["event"] != "reset" for e in resumed), f"a resume within the ring got a reset: {resumed}"
    boots = {b for b, _ in numbered}
    assert len(boots) == 1, f"ids of more than one boot: {numbered}"
    ns = [n for _, n in numbered]
    assert ns == list(range(ns[0], ns[0] + len(ns))), f"a gap or a repeat in the event ids: {ns}"
    kinds = [e["event"] for e in seen + resumed]
    assert "session" in kinds and "ledger" in kinds and "session_ended" in kinds, kinds

    try:
        foreign = outsider.next()
    except (TimeoutError, OSError):  # nothing within its timeout: as it should be
        foreign = None
    outsider.close()
    assert foreign is None, f"a customer-admin of another customer saw {foreign}"

    boot = boots.pop()
    stale = api.open_events(operator, last_event_id=f"{boot - 1}-5", timeout=30)
    assert not hasattr(stale, "status"), f"GET /events with another boot's id: {stale!r}"
    e = stale.next()
    stale.close()
    assert e and e["event"] == "reset", f"another boot's Last-Event-ID: expected a reset first, got {e}"
    assert desk.alive(), "kdad exited"
    print(f"{len(seen)} + {len(resumed)} events, ids {ns[0]}..{ns[-1]} without a gap")


if __name__ == "__main__":
    sys.exit(main(suite, __doc__))
