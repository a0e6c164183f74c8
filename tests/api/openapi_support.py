"""Checking real answers against the OpenAPI document that the app serves (jsonschema, draft 2020-12)."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from werkzeug.test import TestResponse

from app.api.openapi import DOCUMENT


def _follow(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = DOCUMENT
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def validator(schema: dict[str, Any]) -> Draft202012Validator:
    # The document is the root, so the schema's "#/components/schemas/…" references resolve within it.
    return Draft202012Validator({**DOCUMENT, **schema})


def operations() -> list[tuple[str, str]]:
    return [
        (method.upper(), path)
        for path, item in DOCUMENT["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def documented_schema(path: str, method: str, status: int) -> dict[str, Any] | None:
    """The documented body of `status` for the operation, None when it has none; KeyError when the
    operation does not document `status` at all."""
    responses = DOCUMENT["paths"][path][method.lower()]["responses"]
    response = _follow(responses[str(status)])
    content = response.get("content")
    return content["application/json"]["schema"] if content else None


def problems(path: str, method: str, response: TestResponse) -> list[str]:
    """What is wrong with `response` as an answer of the operation: an undocumented status, a body that does
    not match. Empty when it is as documented."""
    try:
        schema = documented_schema(path, method, response.status_code)
    except KeyError:
        if response.status_code >= 400:
            schema = {"$ref": "#/components/schemas/Error"}  # e.g. a 405: still the one error shape
        else:
            return [f"{method} {path}: status {response.status_code} is not documented"]
    if schema is None:
        return [] if not response.get_data() else [f"{method} {path}: a body where none is documented"]
    if not response.is_json:
        return [f"{method} {path}: {response.status_code} is not JSON: {response.get_data()[:200]!r}"]
    return [
        f"{method} {path} {response.status_code}: {error.json_path}: {error.message}"
        for error in validator(schema).iter_errors(response.get_json())
    ]
