#!/usr/bin/env python3
"""examples/mdm_sync.py against a real kdad (TLS, self-signed, pinned by fingerprint).

It pushes examples/profiles/corporate-eap.json and examples/devices.csv and
follows the events for a few seconds; the profile and the devices are then
on the desk. What docs/API.md shows mdm_sync printing is what it printed
here (the block after the prose ending "prints:"). Run again it updates the
profile and leaves the devices unchanged; a 5,001-row upload is followed
through its operation; a kdad restart under a following mdm_sync is a
dropped connection it resumes from; a wrong fingerprint and a viewer's
token end in one clear line each and exit 1.
"""

import json
import os
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # the helpers are imported from the source tree: leave no __pycache__ there
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_desk import imei, main, running  # noqa: E402


def shown_in_guide(source):
    """The lines docs/API.md shows mdm_sync printing."""
    with open(os.path.join(source, "docs", "API.md"), encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"mdm_sync\.py[^\n]*prints:\n\n```\n(.*?)```", text, re.S)
    assert m, "docs/API.md shows no mdm_sync output (prose ending in 'mdm_sync.py ... prints:')"
    return m.group(1).rstrip("\n").split("\n")


def sync(desk, source, token, *extra):
    script = os.path.join(source, "examples", "mdm_sync.py")
    return subprocess.run([sys.executable, script, "--url", f"https://127.0.0.1:{desk.http_port}", *extra],
                          env={**os.environ, "KDA_TOKEN": token}, capture_output=True, text=True, timeout=60)


def long_upload(desk, source, token, fp):
    """More than 5,000 rows: mdm_sync follows the operation to its summary."""
    path = os.path.join(desk.work, "many.csv")
    with open(path, "w", encoding="utf-8") as f:
        f.write("imei,serial\n" + "".join(f"{imei(20000 + i, series='35291812')},MANY{i:05d}\n" for i in range(5001)))
    r = sync(desk, source, token, "--fingerprint", fp, "--devices", path)
    assert r.returncode == 0 and "running as /operations/" in r.stdout and "5001 added" in r.stdout, \
        f"{r.stdout}{r.stderr}"


def resumed_after_restart(desk, source, token, fp):
    """kdad restarts under a following mdm_sync: it says so, reconnects with its Last-Event-ID and
    is told to start over (a reset: another boot's id)."""
    script = os.path.join(source, "examples", "mdm_sync.py")
    argv = [sys.executable, script, "--url", f"https://127.0.0.1:{desk.http_port}", "--fingerprint", fp,
            "--follow", "12"]
    with running(argv, env={**os.environ, "KDA_TOKEN": token}) as p:
        time.sleep(1.5)
        # A device the desk does not know: a session and a refusal in the ledger, events to resume after.
        subprocess.run([os.path.join(desk.bin_dir, "kda-target"), "enroll", "--tcp", f"127.0.0.1:{desk.tcp_port}",
                        "--serial", "UNKNOWN-1", "--timeout", "10"], capture_output=True, timeout=30)
        time.sleep(1)
        desk.stop()
        desk.start()
        out, err = p.communicate(timeout=30)
    assert p.returncode == 0, f"mdm_sync exited {p.returncode}: {out}{err}"
    assert "connection lost" in err and "resuming after" in err, f"no resume said:\n{out}{err}"
    assert "UNKNOWN-1" in out or "ledger" in out, f"no event before the restart:\n{out}{err}"
    assert "resuming after the start" not in err.split("\n")[0], f"no event id to resume after:\n{out}{err}"
    assert "reset: " in out, f"no reset after the restart:\n{out}{err}"


def suite(make_desk, args):
    source = os.path.abspath(args.source)
    desk = make_desk(tls=True)
    desk.start()
    fp = json.loads(desk.kdactl("status", "--json", check=True).stdout)["http"]["certificate_sha256"]
    admin = desk.token("msp-admin", name="mdm-sync")
    profile = os.path.join(source, "examples", "profiles", "corporate-eap.json")
    devices = os.path.join(source, "examples", "devices.csv")
    r = sync(desk, source, admin, "--fingerprint", fp, "--profile", profile, "--devices", devices, "--follow", "3")
    assert r.returncode == 0, f"mdm_sync exited {r.returncode}:\n{r.stdout}{r.stderr}"
    printed = r.stdout.rstrip("\n").split("\n")
    assert printed[:2] == shown_in_guide(source)[:2], f"docs/API.md shows {shown_in_guide(source)}, it printed {printed}"

    api = desk.client()
    shown = api.ok("GET", "/profiles/Corporate%20Wi-Fi%20EAP", admin)
    assert shown["name"] == "Corporate Wi-Fi EAP", shown
    keys = {d["serial"] for d in api.ok("GET", "/devices", admin)["devices"]}
    assert {"R58M12345AB", "R58M99999ZZ", "TAB-A8-0003"} <= keys, keys

    r = sync(desk, source, admin, "--fingerprint", fp, "--profile", profile, "--devices", devices)
    assert r.returncode == 0 and "updated" in r.stdout and "3 unchanged" in r.stdout, f"{r.stdout}{r.stderr}"

    wrong = "00:" * 31 + "00"
    r = sync(desk, source, admin, "--fingerprint", wrong, "--profile", profile)
    assert r.returncode == 1 and "pinned" in r.stderr and len(r.stderr.strip().split("\n")) == 1, r.stderr

    viewer = desk.token("viewer", name="reader")
    r = sync(desk, source, viewer, "--fingerprint", fp, "--devices", devices)
    assert r.returncode == 1 and "403 kda.access/role_forbids" in r.stderr, r.stderr

    long_upload(desk, source, admin, fp)
    resumed_after_restart(desk, source, admin, fp)

    r = subprocess.run([sys.executable, os.path.join(source, "examples", "mdm_sync.py"), "--help"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "--fingerprint" in r.stdout, r.stdout
    assert desk.alive(), "kdad exited"
    print("mdm_sync pushed, updated, and refused as it should")


if __name__ == "__main__":
    sys.exit(main(suite, __doc__))
