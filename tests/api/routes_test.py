#!/usr/bin/env python3
"""The route table in code (kda-api-routes) and docs/openapi.yaml list the same routes.

Both ways: a route kdad serves that the contract lacks fails, and so does a
documented route kdad does not serve. Every role an operation's x-kda-roles
names is one of kdad's five (roles.cc), every operation names its command
(x-kda-command), and every schema in the document is a valid JSON Schema.
"""

import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # the helpers are imported from the source tree: leave no __pycache__ there
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_desk import ROLES, main  # noqa: E402
from contract import Contract  # noqa: E402


def code_routes(bin_dir):
    """{(METHOD, path)} as kda-api-routes prints them (a JSON array of {method, path, ...})."""
    tool = os.path.join(bin_dir, "kda-api-routes")
    r = subprocess.run([tool], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise AssertionError(f"kda-api-routes: exit {r.returncode}: {r.stderr}")
    listed = json.loads(r.stdout)
    if isinstance(listed, dict):
        listed = listed.get("routes", [])
    return {(e["method"].upper(), e["path"]) if isinstance(e, dict) else (e[0].upper(), e[1]) for e in listed}


def suite(make_desk, args):
    contract = Contract(os.path.abspath(args.source))
    documented = contract.routes()
    served = code_routes(os.path.abspath(args.bin))
    problems = [f"served but not in openapi.yaml: {m} {p}" for m, p in sorted(served - documented)]
    problems += [f"in openapi.yaml but not served: {m} {p}" for m, p in sorted(documented - served)]
    for method, template, _, op in contract.operations:
        roles = op.get("x-kda-roles")
        if not roles or any(r not in ROLES for r in roles):
            problems.append(f"{method} {template}: x-kda-roles {roles} names no role or an unknown one")
        if not op.get("x-kda-command"):
            problems.append(f"{method} {template}: no x-kda-command")
        if "default" not in op.get("responses", {}):
            problems.append(f"{method} {template}: no default (problem) response")
    for name, schema in contract.doc["components"]["schemas"].items():
        contract.validator({"$ref": f"#/components/schemas/{name}"})  # check_schema raises on a bad one
    assert not problems, "\n".join(problems)
    print(f"{len(served)} routes agree")


if __name__ == "__main__":
    sys.exit(main(suite, __doc__))
