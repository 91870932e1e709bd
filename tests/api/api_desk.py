"""A kdad with its HTTP API on, in a temporary directory, for the api suites.

Desk writes a kdad.toml with `[http] listen = "127.0.0.1:<free port>"` (plain
HTTP, or TLS with a given or self-signed certificate), starts kdad on its own
state directory and control socket (as tests/docs do), makes tokens with
`kdactl tokens create` and hands out a contract-checking Client.
"""

import argparse
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from contract import Client, Contract, insecure_context  # noqa: E402

SECRET = re.compile(r"\bkda_[A-Za-z0-9_-]{43}\b")
ROLES = ("msp-admin", "customer-admin", "reseller", "desk-operator", "viewer")


def imei(n, series="35291811"):
    """A valid IMEI (Luhn check digit) numbered n within an 8-digit series."""
    body = f"{series}{n:06d}"
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(map(int, body)))
    return body + str((10 - total % 10) % 10)


@contextlib.contextmanager
def running(argv, **kw):
    """A child process (stdout and stderr piped, text) that is killed if the block leaves it running."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=kw.pop("stderr", subprocess.PIPE), text=True, **kw)
    try:
        yield p
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Desk:
    def __init__(self, bin_dir, source, work, tls=False, certificate=None, key=None, extra_toml="",
                 http_extra=""):
        self.bin_dir, self.source, self.work = bin_dir, source, work
        self.state_dir = os.path.join(work, "state")
        self.socket = os.path.join(work, "kdad.sock")
        self.config = os.path.join(work, "kdad.toml")
        self.log = os.path.join(work, "kdad.log")
        self.tls, self.certificate, self.key = tls, certificate, key
        self.extra_toml, self.http_extra = extra_toml, http_extra
        self.http_port = free_port()
        self.tcp_port = None
        self.kdad = None
        self.contract = Contract(source)

    def write_config(self):
        lines = ["[daemon]", 'name = "API desk"', "", "[http]", f'listen = "127.0.0.1:{self.http_port}"',
                 f"tls = {'true' if self.tls else 'false'}"]
        if self.certificate:
            lines += [f'certificate = "{self.certificate}"', f'key = "{self.key}"']
        text = "\n".join(lines) + "\n" + self.http_extra + "\n" + self.extra_toml + "\n"
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(text)

    def kdactl(self, *args, check=False):
        r = subprocess.run([os.path.join(self.bin_dir, "kdactl"), "--socket", self.socket, *args],
                           capture_output=True, text=True, timeout=30)
        if check and r.returncode != 0:
            raise AssertionError(f"kdactl {' '.join(args)}: exit {r.returncode}: {r.stdout}{r.stderr}")
        return r

    def start(self):
        os.makedirs(self.state_dir, mode=0o700, exist_ok=True)
        self.write_config()
        log = open(self.log, "a")
        self.kdad = subprocess.Popen([os.path.join(self.bin_dir, "kdad"), "--config", self.config,
                                      "--state-dir", self.state_dir, "--socket", self.socket,
                                      "--tcp", "127.0.0.1:0"],
                                     cwd=self.work, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.kdad.poll() is not None:
                raise AssertionError(f"kdad exited with {self.kdad.returncode}:\n{self.log_text()}")
            r = self.kdactl("status")
            if r.returncode == 0 and self.http_up():
                m = re.search(r"^tcp +yes +127\.0\.0\.1:(\d+)", r.stdout, re.M)
                self.tcp_port = m.group(1) if m else None
                return
            time.sleep(0.05)
        raise AssertionError(f"kdad did not serve its control socket and the API within 15 s:\n{self.log_text()}")

    def http_up(self):
        try:
            with socket.create_connection(("127.0.0.1", self.http_port), timeout=1):
                return True
        except OSError:
            return False

    def alive(self):
        return self.kdad is not None and self.kdad.poll() is None

    def stop(self):
        if self.alive():
            self.kdad.send_signal(signal.SIGTERM)
            try:
                self.kdad.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kdad.kill()
                self.kdad.wait()

    def log_text(self):
        try:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return "(no log)"

    def client(self, **kw):
        return Client(self.contract, "127.0.0.1", self.http_port, insecure_context() if self.tls else None, **kw)

    def token(self, role, customer=None, reseller=None, name=None, expires=None):
        """A new token's secret, made with kdactl tokens create (it prints the secret on a line of its own)."""
        args = ["tokens", "create", "--role", role, "--name", name or f"{role}-token"]
        if customer is not None:
            args += ["--customer", customer]
        if reseller:
            args += ["--reseller", reseller]
        if expires is not None:
            args += ["--expires", str(expires)]
        r = self.kdactl(*args, check=True)
        found = SECRET.findall(r.stdout)
        if len(found) != 1:
            raise AssertionError(f"kdactl {' '.join(args)} printed no one secret:\n{r.stdout}{r.stderr}")
        return found[0]


ACME = {"company_name": "Acme Logistics GmbH", "size": "100-249", "industry": "Logistics", "country": "DE",
        "address_lines": ["Am Sandtorkai 1"], "city": "Hamburg", "zip": "20457",
        "website": "https://acme-logistics.example", "management": "Jointly managed",
        "contact": {"first_name": "Dana", "last_name": "Keller", "email": "dana.keller@acme-logistics.example",
                    "job_title": "IT lead"}}
RESELLER_ID = "RS-0042"


def with_customers(desk, api):
    """A desk with a customer (Acme, jointly managed), a reseller it registered and a token of
    every role: returns {"customer": id, role: secret, ...}."""
    admin = desk.token("msp-admin", name="msp")
    acme = api.ok("POST", "/customers", admin, ACME, expect=201)["id"]
    api.ok("POST", "/resellers", admin, {"reseller_id": RESELLER_ID, "name": "Reseller 42", "approval": "automatic"},
           query={"customer": acme}, expect=201)
    out = {"customer": acme, "msp-admin": admin,
           "customer-admin": desk.token("customer-admin", customer=acme, name="dana"),
           "reseller": desk.token("reseller", customer=acme, reseller=RESELLER_ID, name="rita"),
           "desk-operator": desk.token("desk-operator", name="omar"),
           "viewer": desk.token("viewer", name="victor")}
    return out


def main(suite, doc, needs_root=False):
    """Runs suite(desk_factory, args) with --bin/--source; exit 0, 1 on a failure, 77 to skip."""
    ap = argparse.ArgumentParser(description=doc.strip().split("\n")[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    if needs_root and os.geteuid() != 0:
        print("skipped: needs root")
        return 77
    work = tempfile.mkdtemp(prefix="kda-api.")
    desks = []

    def make(**kw):
        d = Desk(os.path.abspath(args.bin), os.path.abspath(args.source), os.path.join(work, f"desk{len(desks)}"), **kw)
        os.makedirs(d.work)
        desks.append(d)
        return d

    started = time.time()
    try:
        suite(make, args)
        print(f"ok ({time.time() - started:.1f} s)")
        return 0
    except AssertionError:
        traceback.print_exc()
        for d in desks:
            print(f"--- {d.work}/kdad.log (tail)\n{d.log_text()}")
        return 1
    finally:
        for d in desks:
            d.stop()
        if not args.keep:
            subprocess.run(["rm", "-rf", work])
