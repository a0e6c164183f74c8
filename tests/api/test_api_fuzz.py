"""A property-based run over the OpenAPI document: every operation it lists, with bodies, parameters, ids and
headers made from its schemas and from values that broke Vigil before (issue #15), against the real app
linked to pdsim. Whatever is sent: no server error, and every answer as documented (every 4xx in the error
shape).

VIGIL_FUZZ_EXAMPLES sets how many requests (a few hundred in the suite; `make fuzz` sends thousands).
"""

from __future__ import annotations

import json
import os
from string import ascii_letters
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from app.accounts import api_keys as keys
from app.alerts.signals import AGGREGATIONS
from app.crypto import encrypt
from app.extensions import db
from app.integrations.pagerduty.credentials import client_for
from app.integrations.pagerduty.directory import refresh_directory
from app.integrations.pagerduty.webhooks import sign
from app.models import PagerDutyAccount, PDService, Workspace
from pdsim.testing import RunningSim
from tests.api.openapi_support import DOCUMENT, operations, problems
from tests.pdsim_support import PdsimAccount, linked_account

EXAMPLES = int(os.environ.get("VIGIL_FUZZ_EXAMPLES", "300"))
TOKEN = "fuzz-token"
SECRET = "whsec-fuzz-0123456789"

# Values that each broke an endpoint once (issue #15, #16), mixed with what hypothesis makes up.
NASTY_TEXT = [
    "",
    " ",
    "--5",
    "²",
    "٣",
    "9" * 5000,
    "1" + "0" * 26,
    "-1e308",
    "1e999",
    "NaN",
    "\ud800",
    "a\udfffb",
    "\x00",
    "\x1b[31m",
    "{nope} {value",
    "{value}",
    "2099-01-01T00:00:00Z",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-14:00",
    "2024-03-04T10:00:00Z",
    "2024-03-04",
    "x" * 300,
    "PNOPE",
    "http://[::1",
    "https://ci.example.com/b/1",
]
NASTY_NUMBERS = [0, -1, 2**31 - 1, 2**31, 2**63, 2**64, 10**15, -(10**15), 10**27, 1e308, -1e308, 0.5]
RAW_BODIES = [
    b"[" * 100_000,
    b'{"a":' * 50_000,
    b"9" * 5000,
    b'{"points": [{"name": "q", "value": 1' + b"0" * 400 + b"}]}",
    b'{"threshold": NaN}',
    b'{"name": "\\ud800"}',
    b"\xff\xfe",
    b"",
    b"null",
    b"[]",
    b'"text"',
]

text = st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=40))
# What a field without a hint holds in a plausible body: mostly harmless, sometimes nasty.
plain_text = st.one_of(
    st.text(alphabet=ascii_letters + " .", max_size=20),
    st.text(alphabet=ascii_letters + " .", max_size=20),
    text,
)
numbers = st.one_of(
    st.sampled_from(NASTY_NUMBERS),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
)
any_json = st.recursive(
    st.none() | st.booleans() | numbers | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def well_typed(schema: dict[str, Any], hints: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """Values of the schema's type (mostly plausible ones), so requests get past the type check and reach
    the domain code; `hints` give fields values that exist in the workspace."""
    schema = _resolve(schema)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kinds = schema.get("type", "object")
    kind = kinds if isinstance(kinds, str) else next(k for k in kinds if k != "null")
    if kind == "object" and "properties" in schema:
        return document_body(schema, hints)
    if kind == "object":
        return st.dictionaries(plain_text, plain_text, max_size=3)
    if kind == "array":
        return st.lists(well_typed(schema.get("items", {"type": "string"}), hints), max_size=3)
    if kind == "integer":
        return st.one_of(st.integers(min_value=-5, max_value=100_000), st.sampled_from(NASTY_NUMBERS[:8]))
    if kind == "number":
        return st.one_of(st.floats(-1e6, 1e6), st.sampled_from(NASTY_NUMBERS))
    if kind == "boolean":
        return st.booleans()
    return plain_text


def document_body(schema: dict[str, Any], hints: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """Mostly plausible bodies (required fields present, values of the right type, names that exist), so
    requests reach the domain code and the database; some with any value in any field, or unknown fields."""
    schema = _resolve(schema)
    writable = {name: sub for name, sub in schema.get("properties", {}).items() if not sub.get("readOnly")}
    required = set(schema.get("required", ()))

    def plausible(name: str, sub: dict[str, Any]) -> st.SearchStrategy[Any]:
        return hints[name] if name in hints else well_typed(sub, hints)

    good = st.fixed_dictionaries(
        {name: plausible(name, sub) for name, sub in writable.items() if name in required},
        optional={name: plausible(name, sub) for name, sub in writable.items() if name not in required},
    )
    wild = st.fixed_dictionaries(
        {},
        optional={name: st.one_of(plausible(name, sub), any_json) for name, sub in writable.items()},
    )
    with_unknown = st.tuples(good, st.dictionaries(text, any_json, min_size=1, max_size=2)).map(
        lambda pair: {**pair[1], **pair[0]}
    )
    return st.one_of(good, good, good, wild, with_unknown)


def _encode(value: Any) -> bytes:
    return json.dumps(value).encode()


def _url_bytes(value: Any) -> bytes:
    # A lone surrogate reaches the server as the bytes a careless client would send (invalid UTF-8).
    return str(value).encode("utf-8", "surrogatepass")


@pytest.fixture
def pdsim_account() -> PdsimAccount:
    return PdsimAccount.of(11, 20, 20, [TOKEN], {"base_url": "https://vigil.example"}, rate_limit=100_000)


@pytest.fixture
def account(app: Flask, sim: RunningSim) -> PagerDutyAccount:
    account = linked_account(sim, TOKEN, token_user_role="admin")
    refresh_directory(account, client_for(account))
    account.webhook_secret_enc = encrypt(SECRET)
    db.session.commit()
    return account


def test_no_request_gets_a_server_error_or_an_undocumented_answer(
    app: Flask, client: FlaskClient, account: PagerDutyAccount
) -> None:
    workspace = db.session.get(Workspace, account.workspace_id)
    assert workspace is not None
    _, key = keys.create_key(workspace, "fuzz")
    service_ids = list(
        db.session.scalars(db.select(PDService.remote_id).where(PDService.account_id == account.id))
    )
    db.session.commit()
    hints: dict[str, st.SearchStrategy[Any]] = {
        "service": st.sampled_from(service_ids),
        "services": st.lists(st.sampled_from(service_ids), max_size=2),
        "account": st.just(account.id),
        "at": st.sampled_from(["2024-03-04T10:00:00Z", "2026-12-01T00:00:00+02:00"]),
        "signal": st.sampled_from(["pushed", "incident"]),
        "metric": st.sampled_from(["queue.depth", "incident_count", "mtta"]),
        "aggregation": st.sampled_from([*AGGREGATIONS, None]),
        "operator": st.sampled_from([">", ">=", "<", "==", "!="]),
        "name": st.sampled_from(["q", "queue.depth", "Deep queue"]),
        "value": st.one_of(st.integers(-1000, 1000), st.floats(-1e6, 1e6)),
        "threshold": st.one_of(st.integers(-1000, 1000), st.floats(-1e6, 1e6)),
        "window_seconds": st.sampled_from([60, 300, 3600]),
        "for_seconds": st.sampled_from([0, 60]),
        "labels": st.dictionaries(
            st.sampled_from(["env", "app"]), st.sampled_from(["prod", "a"]), max_size=2
        ),
        "targets": st.lists(
            st.fixed_dictionaries(
                {"account": st.just(account.id), "service": st.sampled_from(service_ids)},
                optional={"urgency": st.sampled_from(["high", "low", None])},
            ),
            max_size=2,
        ),
        "filters": st.fixed_dictionaries({}, optional={"services": st.lists(st.sampled_from(service_ids))}),
        "title_template": st.sampled_from(["", "{rule} is {value}", "{nope}", "{value", "plain"]),
        "start": st.sampled_from(["2024-03-01", "2026-11-01", "1969-12-31", "2024-02-30"]),
        "end": st.sampled_from(["2024-04-01", "2026-12-31", "3000-01-01"]),
        "page": st.integers(-1, 3),
        "per_page": st.integers(0, 101),
        "event": st.fixed_dictionaries(
            {"id": st.sampled_from(["E1", "E2", "E3"])},
            optional={"event_type": st.sampled_from(["incident.triggered", "pagey.ping"])},
        ),
    }
    rule_ids: list[int] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(operation=st.sampled_from(operations()), data=st.data())
    def one_request(operation: tuple[str, str], data: st.DataObject) -> None:
        method, path = operation
        spec = DOCUMENT["paths"][path][method.lower()]
        url = path
        if "{rule_id}" in path:
            # An index, not the ids themselves: the strategy must not change as rules are created.
            known = st.integers(0, 50).map(lambda i: rule_ids[i % len(rule_ids)] if rule_ids else 1)
            rule_id = data.draw(st.one_of(known, known, known, st.integers(0, 2**70), text), "rule_id")
            url = path.replace("{rule_id}", quote(_url_bytes(rule_id), safe=""))
        if "{account_id}" in path:
            mine = st.just(account.id)
            account_id = data.draw(st.one_of(mine, mine, mine, st.integers(0, 2**70), text), "account_id")
            url = path.replace("{account_id}", quote(_url_bytes(account_id), safe=""))
        query: list[tuple[str, bytes]] = []
        for parameter in spec.get("parameters", []):
            if parameter["in"] == "query" and data.draw(st.booleans(), parameter["name"]):
                value = data.draw(st.one_of(well_typed(parameter["schema"], hints), text), parameter["name"])
                for item in value if isinstance(value, list) else [value]:
                    query.append((parameter["name"], _url_bytes(item)))
        body = b""
        if "requestBody" in spec:
            schema = spec["requestBody"]["content"]["application/json"]["schema"]
            body = data.draw(
                st.one_of(
                    document_body(schema, hints).map(_encode),
                    document_body(schema, hints).map(_encode),
                    any_json.map(_encode),
                    st.sampled_from(RAW_BODIES),
                ),
                "body",
            )
        headers = {"Content-Type": data.draw(st.sampled_from(["application/json"] * 4 + ["text/plain"]))}
        if path.startswith("/webhooks/"):
            signature = data.draw(st.sampled_from([sign(body, SECRET)] * 3 + ["", "v1=00"]), "signature")
            headers["X-PagerDuty-Signature"] = signature
            headers["X-Webhook-Id"] = data.draw(text.filter(lambda t: t.isprintable() and t.isascii()))
        else:
            headers["Authorization"] = data.draw(
                st.sampled_from([f"Bearer {key}"] * 5 + ["", "Bearer vgl_nope", "Basic x"]), "auth"
            )
        response = client.open(url, method=method, query_string=urlencode(query), data=body, headers=headers)
        event(f"{method} {path} -> {response.status_code}")  # `pytest --hypothesis-show-statistics`
        assert response.status_code < 500, (method, url, body[:300], response.get_data()[:500])
        assert problems(path, method, response) == [], (method, url, body[:300])
        if method == "POST" and path == "/api/v1/alert-rules" and response.status_code == 201:
            rule_ids.append(response.get_json()["id"])

    one_request()
