"""The one reader of JSON request bodies: `read_json` refuses what cannot be decoded safely, then the body
must match its schema strictly: a JSON type per field (no "5" for a number), no field the schema does not
name (a typo is refused, not ignored), text without NUL or control characters. Meaning is the parsers' job.
"""

from __future__ import annotations

from typing import Any

from flask import request

from app.api.errors import ApiError
from app.api.schemas import SCHEMAS, Schema
from app.inputs import JsonInvalid, read_json, text_problem

_TYPES: dict[str, tuple[str, Any]] = {
    "string": ("text", str),
    "integer": ("a whole number", int),
    "number": ("a number", int | float),
    "boolean": ("true or false", bool),
    "object": ("an object", dict),
    "array": ("a list", list),
    "null": ("null", type(None)),
}

NOT_AN_OBJECT = "The body must be a JSON object (Content-Type: application/json)."


def json_object() -> dict[str, Any]:
    """The request's body as a JSON object, decoded by `read_json`; anything else is a 400 saying why."""
    if not request.is_json:
        raise ApiError(400, NOT_AN_OBJECT)
    try:
        data = read_json(request.get_data(cache=True))
    except JsonInvalid as exc:
        raise ApiError(400, str(exc)) from None
    if not isinstance(data, dict):
        raise ApiError(400, NOT_AN_OBJECT)
    return data


def json_body(schema_name: str) -> dict[str, Any]:
    """The body, which must match `SCHEMAS[schema_name]`; else a 400 naming the fields at fault."""
    data = json_object()
    problems = schema_problems(data, schema_name)
    if problems:
        raise invalid(problems)
    return data


def invalid(problems: dict[str, str]) -> ApiError:
    field, message = next(iter(problems.items()))
    return ApiError(400, message, field, errors=problems if len(problems) > 1 else None)


def schema_problems(data: dict[str, Any], schema_name: str) -> dict[str, str]:
    """{field: message} for each field of `data` of the wrong type or unknown to the schema."""
    problems: dict[str, str] = {}
    _check(data, SCHEMAS[schema_name], "", problems)
    return problems


def _is(value: Any, kind: str) -> bool:
    if isinstance(value, bool) and kind != "boolean":
        return False
    return isinstance(value, _TYPES[kind][1])


def _check(value: Any, schema: Schema, path: str, problems: dict[str, str]) -> None:
    # null is the field's absence: the domain parser says whether the field is required.
    if value is None:
        return
    if "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]]
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(_is(value, kind) for kind in kinds):
            wanted = " or ".join(_TYPES[kind][0] for kind in kinds if kind != "null")
            problems.setdefault(path or "body", f"{path or 'The body'} must be {wanted}.")
            return
    if isinstance(value, str):
        problem = text_problem(value)
        if problem is not None:
            problems.setdefault(path, f"{path} {problem}")
    elif isinstance(value, dict):
        _check_object(value, schema, path, problems)
    elif isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            _check(item, schema["items"], f"{path}[{i}]", problems)


def _check_object(value: dict[str, Any], schema: Schema, path: str, problems: dict[str, str]) -> None:
    properties: dict[str, Schema] = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        name = f"{path}.{key}" if path else key
        problem = text_problem(key)
        if problem is not None:
            problems.setdefault(path or "body", f"A field name in {path or 'the body'} {problem}")
        elif key in properties:
            _check(item, properties[key], name, problems)
        elif extra is False:
            known = ", ".join(k for k, v in properties.items() if not v.get("readOnly"))
            problems.setdefault(name, f"Unknown field {name}: {path or 'the body'} takes {known}.")
        elif isinstance(extra, dict):
            _check(item, extra, name, problems)
