#!/usr/bin/env python3
"""TLS: openssl s_client gets TLS 1.3 only, and the configured certificate.

One kdad with a certificate made here (openssl req): a TLS 1.2 handshake is
refused, a TLS 1.3 one succeeds, the certificate served is the configured
one, and its SHA-256 is what `kdactl status --json` shows as
http.certificate_sha256. A second kdad without a certificate makes a
self-signed one in state_dir/http (0600 key), serves it, and shows its
fingerprint the same way. A request over plain HTTP to the TLS port gets no
answer it could mistake for the API's.
"""

import hashlib
import json
import os
import socket
import ssl
import stat
import subprocess
import sys

sys.dont_write_bytecode = True  # the helpers are imported from the source tree: leave no __pycache__ there
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_desk import main  # noqa: E402


def s_client(port, version):
    """(exit code, output) of a handshake with openssl s_client -tls1_2 / -tls1_3."""
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", version, "-servername", "localhost"],
                       input="", capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr


def fingerprint(der):
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def served_certificate(port):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.getpeercert(binary_form=True), tls.version()


def status_http(desk):
    return json.loads(desk.kdactl("status", "--json", check=True).stdout).get("http", {})


def check_desk(desk, failures, expected_der=None):
    port = desk.http_port
    rc, out = s_client(port, "-tls1_2")
    if rc == 0 and "Cipher is (NONE)" not in out and "New, (NONE)" not in out:
        failures.append(f"openssl s_client -tls1_2 was not refused:\n{out[-800:]}")
    rc, out = s_client(port, "-tls1_3")
    if rc != 0 or "TLSv1.3" not in out:
        failures.append(f"openssl s_client -tls1_3 failed ({rc}):\n{out[-800:]}")
    der, version = served_certificate(port)
    if version != "TLSv1.3":
        failures.append(f"a default client negotiated {version}")
    if expected_der is not None and der != expected_der:
        failures.append("the served certificate is not the configured one")
    shown = status_http(desk)
    if shown.get("certificate_sha256", "").upper() != fingerprint(der):
        failures.append(f"kdactl status: http.certificate_sha256 {shown.get('certificate_sha256')!r}, "
                        f"the served certificate's {fingerprint(der)}")
    if not shown.get("tls") or shown.get("listen") != f"127.0.0.1:{port}":
        failures.append(f"kdactl status: http {shown}")
    api = desk.client()
    token = desk.token("viewer", name="tls")
    r = api.request("GET", "/status", token)
    if r.status != 200 or r.json().get("http", {}).get("certificate_sha256") != shown.get("certificate_sha256"):
        failures.append(f"GET /status over TLS: {r!r}")
    return der


def suite(make_desk, args):
    failures = []
    desk = make_desk(tls=True)
    os.makedirs(desk.work, exist_ok=True)
    cert, key = os.path.join(desk.work, "api.crt"), os.path.join(desk.work, "api.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "30", "-subj", "/CN=kda api test",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    os.chmod(key, 0o600)
    desk.certificate, desk.key = cert, key
    with open(cert, encoding="ascii") as f:
        expected = ssl.PEM_cert_to_DER_cert(f.read())
    desk.start()
    check_desk(desk, failures, expected)
    if status_http(desk).get("certificate") != cert:
        failures.append(f"kdactl status: http.certificate {status_http(desk).get('certificate')!r}, configured {cert}")

    own = make_desk(tls=True)
    own.start()
    check_desk(own, failures)
    made = status_http(own).get("certificate", "")
    if not made.startswith(own.state_dir):
        failures.append(f"a self-signed certificate outside the state dir: {made!r}")
    for name in os.listdir(os.path.dirname(made)) if made else []:
        path = os.path.join(os.path.dirname(made), name)
        if name.endswith(".key") and stat.S_IMODE(os.stat(path).st_mode) & 0o077:
            failures.append(f"{path} is readable by others ({oct(os.stat(path).st_mode)})")
    assert desk.alive() and own.alive(), "kdad exited"
    assert not failures, "\n".join(failures)
    print("TLS 1.3 only, the configured and the self-signed certificate served and shown")


if __name__ == "__main__":
    sys.exit(main(suite, __doc__))
