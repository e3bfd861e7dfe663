"""Certificate ids cannot be enumerated (RELIABILITY.md check 4).

Every URL rule taking a ``public_id`` is probed with random ids of the real format, logged out:
none may answer 200, and every miss must look the same (no pre-login oracle). Skipped until
certificate routes exist.
"""

from __future__ import annotations

import math
import re
import secrets
import string

import pytest

PROBES = 400


def public_id_rules(app):
    return [
        rule
        for rule in app.url_map.iter_rules()
        if "public_id" in rule.arguments and "GET" in (rule.methods or ())
    ]


@pytest.mark.app_config(RATELIMIT_ENABLED=False)
def test_random_certificate_ids_find_nothing_and_look_alike(app, world, figure):
    rules = public_id_rules(app)
    if not rules or world.certificate_id is None:
        pytest.skip("no certificate routes with a public_id yet")
    real = world.certificate_id
    alphabet = set(string.ascii_letters + string.digits + "-_")
    assert set(real) <= alphabet
    bits = len(real) * math.log2(64)
    figure.set("check 4 certificate ids: entropy (bits)", int(bits))
    assert bits >= 128, real
    client = app.test_client()
    hits, shapes = 0, set()
    for n in range(PROBES):
        rule = rules[n % len(rules)]
        guess = secrets.token_urlsafe(len(real) * 3 // 4)
        path = rule.build({"public_id": guess}, append_unknown=False)[1]
        with client.get(path) as response:
            hits += response.status_code == 200
            body = re.sub(re.escape(guess), "ID", response.get_data(as_text=True))
            body = re.sub(r"[0-9a-f]{12}", "REQ", body)  # request ids
            shapes.add((rule.endpoint, response.status_code, body))
    figure.add("check 4 certificate ids: random probes", PROBES)
    figure.add("check 4 certificate ids: hits", hits)
    assert hits == 0
    # One answer per route for every unknown id: nothing tells a near miss from a far one.
    assert len(shapes) == len({shape[0] for shape in shapes}), {s[:2] for s in shapes}
    # The control: the real id is found, so the misses above are about the ids.
    verify = (
        next(r for r in rules if r.endpoint.endswith("verify"))
        if any(r.endpoint.endswith("verify") for r in rules)
        else rules[0]
    )
    assert client.get(verify.build({"public_id": real}, append_unknown=False)[1]).status_code == 200
