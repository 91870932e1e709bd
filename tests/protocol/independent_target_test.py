#!/usr/bin/env python3
"""Runs the independent target (independent_target.py, written from
docs/PROTOCOL.md only) against a real kdad: the wire protocol as documented
must be the one kdad speaks.

kdad runs with its embedded defaults in a temporary state dir, on a free
loopback port; kdactl imports and approves the devices. Cases: the doc's
worked examples and the cacophony NX/NXpsk2 vectors; an unknown device refused (301); a clean NX enrollment with
the primary's key pinned (package, digest, SAS and ledger checked); an NXpsk2
enrollment with the desk's oob.psk; a wrong PSK (200); a second enrollment of
a provisioned device refused (301).

  independent_target_test.py --bin-dir build/bin   # kdad and kdactl there
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import independent_target as target  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.x25519 import (  # noqa: E402
    X25519PrivateKey)
from noise_nx import NXInitiator  # noqa: E402


def luhn_imei(body14):
    """A 15-digit IMEI: 14 digits and their Luhn check digit."""
    total = 0
    for i, ch in enumerate(reversed(body14)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body14 + str((10 - total % 10) % 10)


KNOWN_NX = luhn_imei("35693803564380")
KNOWN_PSK = luhn_imei("35693803564381")
UNKNOWN = luhn_imei("35693803564382")


class Desk:
    """A kdad in a temporary state dir, and kdactl talking to it."""

    def __init__(self, bin_dir):
        self.bin_dir = bin_dir
        self.dir = tempfile.mkdtemp(prefix="kda-independent-")
        self.log = open(os.path.join(self.dir, "kdad.log"), "w")
        self.proc = subprocess.Popen(
            [os.path.join(bin_dir, "kdad"), "--state-dir", self.dir,
             "--tcp", "127.0.0.1:0"], stdout=self.log, stderr=subprocess.STDOUT)
        self.port = self._wait_for_port()

    def ctl(self, *args, json_out=False):
        cmd = [os.path.join(self.bin_dir, "kdactl"), "--socket",
               os.path.join(self.dir, "kdad.sock")]
        cmd += (["--json"] if json_out else []) + list(args)
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        if out.returncode != 0:
            raise AssertionError("%s: %s" % (" ".join(args), out.stderr.strip()))
        return json.loads(out.stdout) if json_out else out.stdout

    def _wait_for_port(self):
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("kdad exited with %d" % self.proc.returncode)
            try:
                status = self.ctl("status", json_out=True)
            except (AssertionError, ValueError):
                time.sleep(0.1)
                continue
            for t in status.get("transports", []):
                port = t.get("address", "").rpartition(":")[2]
                if t.get("name") == "tcp" and port.isdigit() and port != "0":
                    self.primary_key = bytes.fromhex(status["primary_key"])
                    return int(port)
            time.sleep(0.1)
        raise AssertionError("kdad's tcp transport did not come up")

    def enroll(self, imei, **kwargs):
        identity = target.device_identity(
            [imei], serial="IT" + imei[-6:], model="Independent Target",
            manufacturer="kda tests")
        return target.enroll("127.0.0.1", self.port, identity, **kwargs)

    def ledger(self, imei):
        return self.ctl("ledger", "--device", imei, json_out=True)["entries"]

    def stop(self, keep):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        if keep:
            with open(os.path.join(self.dir, "kdad.log")) as log:
                sys.stderr.write("---- kdad log (%s)\n%s" % (self.dir, log.read()))
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def expect(cond, what, report=None):
    if not cond:
        detail = "\n" + json.dumps(report, indent=1) if report else ""
        raise AssertionError(what + detail)


def check_doc_examples():
    # Section 7.2's worked prologue, section 9's SAS, section 2's Hello bytes.
    expect(target.prologue(1, 1, 2, 1).hex() ==
           "6b64612d7631" "00000001" "00000001" "00000002" "00000001"
           "00000000", "prologue example (7.2)")
    expect(target.prologue(1, 1, 2, 1, ["ab"]).hex().endswith(
        "00000001000000026162"), "prologue with a capability (7.2)")
    expect(target.sas_code(bytes(range(32))) == "067207", "SAS example (9)")
    hello = target.hello(1, b"\x00" * 32)
    expect((len(hello).to_bytes(4, "big") + hello)[:16].hex() ==
           "0000002c0a2a08011001180220013a20", "Hello bytes (2)")
    expect(target.frame("ack", b"").hex() == "4a00", "Ack bytes (4.10)")


def check_noise_vectors():
    # Section 7: the public cacophony vectors apply; the initiator's half.
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "testdata", "cacophony-25519-sha256.json")
    with open(path) as f:
        vectors = json.load(f)["vectors"]
    wanted = ("Noise_NX_25519_ChaChaPoly_SHA256",
              "Noise_NXpsk2_25519_ChaChaPoly_SHA256")
    vectors = [v for v in vectors if v["protocol_name"] in wanted]
    expect(len(vectors) == 2, "cacophony vectors for NX and NXpsk2")
    for v in vectors:
        h, msgs = bytes.fromhex, v["messages"]
        psk = h(v["init_psks"][0]) if v.get("init_psks") else None
        noise = NXInitiator(h(v["init_prologue"]), psk,
                            X25519PrivateKey.from_private_bytes(
                                h(v["init_ephemeral"])))
        name = v["protocol_name"]
        expect(noise.write_message_1(h(msgs[0]["payload"])) ==
               h(msgs[0]["ciphertext"]), name + ": message 1")
        expect(noise.read_message_2(h(msgs[1]["ciphertext"])) ==
               h(msgs[1]["payload"]), name + ": message 2")
        send, receive, hh = noise.split()
        expect(hh == h(v["handshake_hash"]), name + ": handshake hash")
        for i, m in enumerate(msgs[2:]):
            if i % 2 == 0:
                ok = send.seal(h(m["payload"]))[1] == h(m["ciphertext"])
            else:
                ok = receive.open(i // 2, h(m["ciphertext"])) == h(m["payload"])
            expect(ok, "%s: transport message %d" % (name, i + 2))


def check_unknown_device_refused(desk):
    report = desk.enroll(UNKNOWN)
    expect(report["outcome"] == "REJECTED" and report["code"] == 301,
           "unknown device: expected REJECTED with 301", report)
    expect("not in the inventory" in report["reason"], "refusal reason", report)
    entries = desk.ledger(UNKNOWN)
    expect(any(e.get("state") == "Rejected" and e.get("sas") == report["sas"]
               for e in entries), "refusal recorded in the ledger", entries)


def check_enrollment(desk, imei, **kwargs):
    report = desk.enroll(imei, **kwargs)
    expect(report["outcome"] == "PROVISIONED" and report["code"] == 0,
           "%s: expected PROVISIONED" % imei, report)
    expect(report["profile"] == "Default" and report["digest_verified"],
           "package: profile Default, digest verified", report)
    expect(report["device_imei"] == [imei], "package names the device", report)
    expect(bytes.fromhex(report["primary_key"]) == desk.primary_key,
           "message 2 carries kdad's static key", report)
    entries = desk.ledger(imei)
    provisioned = [e for e in entries if e.get("state") == "Provisioned"]
    expect(provisioned and provisioned[-1].get("sas") == report["sas"] and
           report["package_id"] in provisioned[-1].get("reason", ""),
           "ledger: Provisioned, same SAS and package id", entries)
    return report


def run(bin_dir):
    check_doc_examples()
    check_noise_vectors()
    desk = Desk(bin_dir)
    ok = False
    try:
        check_unknown_device_refused(desk)
        csv = os.path.join(desk.dir, "devices.csv")
        with open(csv, "w") as f:
            f.write("imei,serial\n%s,IT%s\n%s,IT%s\n" % (
                KNOWN_NX, KNOWN_NX[-6:], KNOWN_PSK, KNOWN_PSK[-6:]))
        desk.ctl("devices", "import", csv)
        desk.ctl("devices", "approve", "--all")

        check_enrollment(desk, KNOWN_NX, pin=desk.primary_key)
        with open(os.path.join(desk.dir, "oob.psk")) as f:
            psk = bytes.fromhex(f.read().strip())
        wrong = desk.enroll(KNOWN_PSK, psk=bytes(32))
        expect(wrong["code"] == 200, "wrong PSK: handshake_failed", wrong)
        check_enrollment(desk, KNOWN_PSK, psk=psk)

        again = desk.enroll(KNOWN_NX)
        expect(again["outcome"] == "REJECTED" and again["code"] == 301,
               "a provisioned device is refused until re-armed", again)
        ok = True
    finally:
        desk.stop(keep=not ok)
    print("independent target: all cases passed against %s (port %d)" %
          (bin_dir, desk.port))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin-dir", required=True,
                    help="directory holding kdad and kdactl")
    args = ap.parse_args()
    try:
        run(os.path.abspath(args.bin_dir))
    except AssertionError as exc:
        print("FAILED: %s" % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
