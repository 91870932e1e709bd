#!/usr/bin/env python3
"""mdm_sync: what an MDM's side of a kda integration does, with the Python standard library only.

It pushes a profile (created, or changed when the desk has it already) and a
device list (an upload; a long one runs as an operation, which it polls),
then follows the desk's events, one line each, resuming with Last-Event-ID
after a dropped connection. The HTTP API is described in docs/API.md and
docs/openapi.yaml.

  KDA_TOKEN=kda_... examples/mdm_sync.py --url https://desk.example:8443 \\
      --fingerprint AB:CD:... --profile examples/profiles/staging-default.json \\
      --devices examples/devices.csv --follow 60

Exit status: 0 done, 1 the desk refused something (the line says why), 2 usage.
"""

import argparse
import hashlib
import http.client
import json
import os
import ssl
import sys
import time
import urllib.parse


class Refused(Exception):
    """The desk answered with a problem document (RFC 9457)."""

    def __init__(self, status, problem):
        code = problem.get("code", {})
        super().__init__(f"{status} {code.get('category', '?')}/{problem.get('title', '?')}: "
                         f"{problem.get('detail', '')}")
        self.status, self.problem = status, problem


class Desk:
    """One kdad's API: a base URL, a bearer token and how its certificate is trusted."""

    def __init__(self, url, token, cafile=None, fingerprint=None, customer=None, timeout=30):
        parts = urllib.parse.urlsplit(url)
        self.tls = parts.scheme == "https"
        self.host, self.port = parts.hostname, parts.port or (443 if self.tls else 80)
        self.token, self.customer, self.timeout = token, customer, timeout
        self.pin = fingerprint.replace(":", "").lower() if fingerprint else None
        self.context = None
        if self.tls:
            self.context = ssl.create_default_context(cafile=cafile)
            if self.pin:  # the pin replaces the CA check: a self-signed desk certificate
                self.context.check_hostname = False
                self.context.verify_mode = ssl.CERT_NONE

    def connect(self, timeout=None):
        timeout = timeout or self.timeout
        if not self.tls:
            return http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        conn = http.client.HTTPSConnection(self.host, self.port, timeout=timeout, context=self.context)
        conn.connect()
        if self.pin:
            seen = hashlib.sha256(conn.sock.getpeercert(binary_form=True)).hexdigest()
            if seen != self.pin:
                conn.close()
                raise ssl.SSLError(f"the desk's certificate has SHA-256 {seen}, not the pinned {self.pin}")
        return conn

    def target(self, path, query=None):
        query = dict(query or {})
        if self.customer is not None:
            query["customer"] = self.customer
        return "/api/v1" + path + ("?" + urllib.parse.urlencode(query) if query else "")

    def call(self, method, path, body=None, content_type="application/json", query=None):
        """(status, headers, parsed JSON or None); a problem document raises Refused."""
        headers = {"Authorization": "Bearer " + self.token, "Accept": "application/json"}
        if body is not None:
            if not isinstance(body, (bytes, str)):
                body = json.dumps(body)
            headers["Content-Type"] = content_type
        conn = self.connect()
        try:
            conn.request(method, self.target(path, query), body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
            kind = r.getheader("Content-Type", "")
        finally:
            conn.close()
        parsed = json.loads(data) if "json" in kind and data else None
        if r.status >= 400:
            raise Refused(r.status, parsed or {"title": r.reason, "detail": data[:200].decode("utf-8", "replace")})
        return r.status, r, parsed


def push_profile(desk, path):
    with open(path, encoding="utf-8") as f:
        profile = json.load(f)
    name = urllib.parse.quote(profile["name"], safe="")
    try:
        desk.call("GET", f"/profiles/{name}")
    except Refused as e:
        if e.status != 404:
            raise
        desk.call("POST", "/profiles", profile)
        print(f"profile {profile['name']!r}: created")
        return
    # The desk has it: send everything but the name (a rename is refused).
    desk.call("PATCH", f"/profiles/{name}", {k: v for k, v in profile.items() if k not in ("name", "is_default")})
    print(f"profile {profile['name']!r}: updated")


def push_devices(desk, path, source=None, dry_run=False):
    with open(path, "rb") as f:
        data = f.read()
    kind = "application/json" if path.endswith(".json") else "text/csv"
    query = {"dry_run": "true"} if dry_run else {}
    if source:
        query["source"] = source
    status, response, body = desk.call("POST", "/devices", data, content_type=kind, query=query)
    if status == 202:  # a long upload: poll its operation
        operation = response.getheader("Location")[len("/api/v1"):]
        print(f"devices: {body.get('rows', '?')} rows, running as {operation}")
        while body["state"] == "running":
            time.sleep(1)
            _, _, body = desk.call("GET", operation)
        if body["state"] == "failed":
            raise Refused(body["problem"].get("status", 422), body["problem"])
        body = body["result"]
    print(f"devices: {body.get('added', 0)} added, {body.get('updated', 0)} updated, "
          f"{body.get('approved', 0)} approved, {body.get('unchanged', 0)} unchanged"
          + (" (dry run)" if body.get("dry_run") else ""))


def event_line(kind, data):
    """One line for an event, as a console would show it."""
    if kind == "reset":
        return f"reset: {data.get('reason', '')}"
    when = data.get("time", "")
    if kind in ("session", "session_ended"):
        s = data.get("session", {})
        sas = f" SAS {s['sas']}" if s.get("sas") else ""
        wait = " waiting for confirmation" if s.get("waiting_for_confirmation") else ""
        return (f"{when} {kind} {s.get('id', '')} {s.get('state', '')} device {s.get('device', '-') or '-'}"
                f"{sas}{wait}")
    row = data.get("ledger", {})
    reason = f" ({row['reason']})" if row.get("reason") else ""
    return f"{when} ledger {row.get('device') or row.get('event', '')}: {row.get('state', '')}{reason}"


def follow(desk, seconds):
    """Prints each event until `seconds` pass (0: until interrupted), reconnecting after a drop."""
    until = time.time() + seconds if seconds else None
    state = {"last_id": None}  # kept across connections: where to resume
    while until is None or time.time() < until:
        headers = {"Authorization": "Bearer " + desk.token, "Accept": "text/event-stream"}
        if state["last_id"]:
            headers["Last-Event-ID"] = state["last_id"]
        try:
            conn = desk.connect(timeout=max(1.0, min(20.0, until - time.time())) if until else 20.0)
            conn.request("GET", desk.target("/events"), headers=headers)
            r = conn.getresponse()
            if r.status != 200:
                data = r.read()
                raise Refused(r.status, json.loads(data) if data else {"title": r.reason})
            read_events(r, state, until)
            conn.close()
        except (OSError, http.client.HTTPException) as e:
            if until is not None and time.time() >= until:
                break
            print(f"events: connection lost ({e}); resuming after {state['last_id'] or 'the start'}",
                  file=sys.stderr)
            time.sleep(1)


def read_events(r, state, until):
    """Prints the stream's events until `until`; state["last_id"] follows each event's id."""
    kind, data, event_id = "message", [], None
    while until is None or time.time() < until:
        line = r.readline()
        if not line:
            raise ConnectionError("the stream ended")
        line = line.decode("utf-8").rstrip("\r\n")
        if line.startswith(":"):
            continue
        if line:
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "id":
                event_id = value
            elif field == "event":
                kind = value
            elif field == "data":
                data.append(value)
            continue
        if data:
            print(event_line(kind, json.loads("\n".join(data))), flush=True)
            if event_id:  # an event counts as received once it is whole
                state["last_id"] = event_id
        kind, data, event_id = "message", [], None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0].split(": ", 1)[1],
                                 epilog="The token comes from --token or the environment variable KDA_TOKEN.")
    ap.add_argument("--url", required=True, help="the desk's API, e.g. https://127.0.0.1:8443")
    ap.add_argument("--token", default=os.environ.get("KDA_TOKEN"), help="a bearer token (kdactl tokens create)")
    ap.add_argument("--cafile", help="trust the desk's certificate through this CA (PEM)")
    ap.add_argument("--fingerprint", help="pin the desk's certificate: its SHA-256 as kdactl status shows it")
    ap.add_argument("--customer", help="the customer meant, for a token that reaches several")
    ap.add_argument("--profile", help="a profile's JSON file to create or update")
    ap.add_argument("--devices", help="a device list to upload: .csv, or .json ({\"devices\": [...]})")
    ap.add_argument("--source", help="the upload's source (a reseller id)")
    ap.add_argument("--dry-run", action="store_true", help="report what the upload would change")
    ap.add_argument("--follow", type=float, metavar="SECONDS",
                    help="then follow the events this long (0: until interrupted)")
    args = ap.parse_args()
    if not args.token:
        ap.error("no token: give --token or set KDA_TOKEN")
    desk = Desk(args.url, args.token, args.cafile, args.fingerprint, args.customer)
    try:
        if args.profile:
            push_profile(desk, args.profile)
        if args.devices:
            push_devices(desk, args.devices, args.source, args.dry_run)
        if args.follow is not None:
            follow(desk, args.follow)
    except Refused as e:
        print(f"mdm_sync: {e}", file=sys.stderr)
        for line in e.problem.get("errors", []):
            print(f"  {line}", file=sys.stderr)
        return 1
    except (OSError, ssl.SSLError) as e:
        print(f"mdm_sync: {args.url}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
