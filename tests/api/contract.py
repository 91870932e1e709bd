"""The HTTP API's contract, docs/openapi.yaml, as the api tests use it.

Contract loads the document, finds the operation a request meant (method and
path template) and checks a response against it: the status must be one the
operation lists (or its `default`), the Content-Type one that status lists,
and a JSON body must validate against the schema (JSON Schema 2020-12, the
dialect OpenAPI 3.1 uses). Client sends requests to a kdad and checks EVERY
response it receives this way, so a suite cannot forget to. A violation
raises ContractError, which fails the test with what differed.
"""

import http.client
import json
import os
import re
import ssl
import urllib.parse

import jsonschema
import yaml


class ContractError(AssertionError):
    pass


class Contract:
    def __init__(self, source):
        with open(os.path.join(source, "docs", "openapi.yaml"), encoding="utf-8") as f:
            self.doc = yaml.safe_load(f)
        self.operations = []  # (METHOD, template, compiled pattern, operation)
        for template, item in self.doc["paths"].items():
            pattern = re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)) + "$")
            for method, op in item.items():
                self.operations.append((method.upper(), template, pattern, op))
        # Literal paths win over templates (/devices/export before /devices/{key}).
        self.operations.sort(key=lambda o: o[1].count("{"))
        self._validators = {}

    def resolve(self, node, seen=()):
        """node with every $ref replaced by what it names (the schemas have no cycles)."""
        if isinstance(node, list):
            return [self.resolve(n, seen) for n in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            ref = node["$ref"]
            if ref in seen:
                raise ContractError(f"openapi.yaml: {ref} refers to itself")
            target = self.doc
            for part in ref.lstrip("#/").split("/"):
                target = target[part]
            return self.resolve(target, seen + (ref,))
        return {k: self.resolve(v, seen) for k, v in node.items()}

    def routes(self):
        """Every (METHOD, path template) the document lists."""
        return {(m, t) for m, t, _, _ in self.operations}

    def operation(self, method, path):
        """(template, operation) for a request path without its query; None when none matches."""
        for m, template, pattern, op in self.operations:
            if m == method and pattern.match(path):
                return template, op
        return None

    def validator(self, schema):
        key = json.dumps(schema, sort_keys=True)
        if key not in self._validators:
            resolved = self.resolve(schema)
            jsonschema.Draft202012Validator.check_schema(resolved)
            self._validators[key] = jsonschema.Draft202012Validator(resolved)
        return self._validators[key]

    def check(self, method, target, status, content_type, body):
        """Raises ContractError unless the response is one the contract allows for the request."""
        path = urllib.parse.urlsplit(target).path
        where = f"{method} {target} -> {status}"
        found = self.operation(method, path)
        if found is None:
            # No route: the API's own refusals, which every path may get.
            if status not in (400, 401, 404, 405, 413, 415, 429):
                raise ContractError(f"{where}: no operation in openapi.yaml has this path, yet the status is not a refusal")
            response = self.resolve(self.doc["components"]["responses"]["problem"])
        else:
            responses = found[1]["responses"]
            response = responses.get(str(status))
            if response is None:
                if status < 400:
                    raise ContractError(f"{where}: openapi.yaml lists no {status} for {method} {found[0]}")
                response = responses["default"]
            response = self.resolve(response)
        media = (content_type or "").split(";")[0].strip().lower()
        content = response.get("content")
        if not content:
            if body:
                raise ContractError(f"{where}: a body where the contract has none")
            return
        if media not in content:
            raise ContractError(f"{where}: Content-Type {media!r}, the contract says {sorted(content)}")
        if media not in ("application/json", "application/problem+json"):
            return
        try:
            value = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise ContractError(f"{where}: the body is not JSON ({e}): {body[:200]!r}") from None
        errors = sorted(self.validator(content[media]["schema"]).iter_errors(value), key=lambda e: list(e.path))
        if errors:
            lines = [f"  {'/'.join(map(str, e.path)) or '(body)'}: {e.message[:300]}" for e in errors[:10]]
            raise ContractError(f"{where}: the body breaks the contract:\n" + "\n".join(lines)
                                + f"\n  body: {body[:600].decode('utf-8', 'replace')}")

    def check_event_data(self, data):
        """An events-stream event's data against MonitorEvent."""
        errors = list(self.validator({"$ref": "#/components/schemas/MonitorEvent"}).iter_errors(data))
        if errors:
            raise ContractError(f"event data breaks MonitorEvent: {errors[0].message}: {data}")


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        return self.headers.get(name.lower(), "")

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def problem(self):
        """(category, title) of a problem document, e.g. ("kda.access", "role_forbids")."""
        p = self.json()
        return p["code"]["category"], p["title"]

    def __repr__(self):
        return f"<{self.status} {self.header('content-type')} {self.body[:300]!r}>"


class Client:
    """Requests to one kdad's API; every response is checked against the contract."""

    def __init__(self, contract, host, port, tls_context=None, timeout=30):
        self.contract, self.host, self.port = contract, host, port
        self.tls_context, self.timeout = tls_context, timeout
        self.checked = 0

    def connect(self):
        if self.tls_context:
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=self.tls_context)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def request(self, method, path, token=None, json_body=None, body=None, content_type=None, headers=None,
                query=None, check=True):
        """Sends one request (path under /api/v1 unless it starts with /) and returns its Response."""
        target = path if path.startswith("/api/") or path.startswith("//") else "/api/v1" + path
        if query:
            target += ("&" if "?" in target else "?") + urllib.parse.urlencode(query)
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = "Bearer " + token
        if json_body is not None:
            body = json.dumps(json_body).encode("utf-8")
            content_type = content_type or "application/json"
        if isinstance(body, str):
            body = body.encode("utf-8")
        if content_type:
            sent["Content-Type"] = content_type
        conn = self.connect()
        try:
            conn.request(method, target, body=body, headers=sent)
            r = conn.getresponse()
            response = Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        finally:
            conn.close()
        if check:
            self.contract.check(method, target, response.status, response.header("content-type"), response.body)
            self.checked += 1
        return response

    def open_events(self, token, last_event_id=None, timeout=None):
        """GET /events. A refusal comes back as a Response (checked); a stream as an EventStream."""
        conn = self.connect()
        if timeout is not None:
            conn.timeout = timeout
        headers = {"Accept": "text/event-stream"}
        if token:
            headers["Authorization"] = "Bearer " + token
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        conn.request("GET", "/api/v1/events", headers=headers)
        r = conn.getresponse()
        kind = r.getheader("Content-Type", "")
        if r.status == 200 and kind.startswith("text/event-stream"):
            self.contract.check("GET", "/api/v1/events", 200, kind, b"")
            self.checked += 1
            return EventStream(self.contract, conn, r)
        response = Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        conn.close()
        self.contract.check("GET", "/api/v1/events", response.status, response.header("content-type"), response.body)
        self.checked += 1
        return response

    def get(self, path, token, **kw):
        return self.request("GET", path, token, **kw)

    def post(self, path, token, json_body=None, **kw):
        return self.request("POST", path, token, json_body=json_body, **kw)

    def ok(self, method, path, token, json_body=None, expect=(200, 201), **kw):
        """A request that must succeed; returns its JSON (or the Response when not JSON)."""
        r = self.request(method, path, token, json_body=json_body, **kw)
        if r.status not in ((expect,) if isinstance(expect, int) else expect):
            raise AssertionError(f"{method} {path}: expected {expect}, got {r!r}")
        return r.json() if "json" in r.header("content-type") else r


class EventStream:
    """A text/event-stream response read one event at a time; each event's data is checked
    against MonitorEvent (a reset's against {"reason"})."""

    def __init__(self, contract, conn, response):
        self.contract, self.conn, self.response = contract, conn, response
        self.comments = 0

    def next(self):
        """{"id", "event", "data"} of the next event; None at the end of the stream."""
        event = {"id": None, "event": "message", "data": []}
        while True:
            line = self.response.readline()
            if not line:
                return None
            line = line.decode("utf-8").rstrip("\r\n")
            if line == "":
                if not event["data"]:
                    continue
                event["data"] = json.loads("\n".join(event["data"]))
                if event["event"] == "reset":
                    if not isinstance(event["data"], dict) or "reason" not in event["data"]:
                        raise ContractError(f"a reset event without a reason: {event}")
                else:
                    self.contract.check_event_data(event["data"])
                return event
            if line.startswith(":"):
                self.comments += 1
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "data":
                event["data"].append(value)
            elif field in ("id", "event"):
                event[field] = value

    def close(self):
        self.conn.close()


def insecure_context():
    """TLS without CA checks (the tests pin the certificate by fingerprint instead)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx
