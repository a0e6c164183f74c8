"""`flask api-keys create/list/revoke` and `flask metrics show`."""

from __future__ import annotations

import json

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from app.accounts import api_keys as keys
from app.extensions import db
from app.models import ApiKey, AuditEvent
from tests.analytics.factories import World, make_incident, make_priority, utc


def _run(app: Flask, *args: str) -> tuple[int, str]:
    runner: FlaskCliRunner = app.test_cli_runner()
    result = runner.invoke(args=list(args))
    return result.exit_code, result.output


def test_it_prints_only_the_new_key(app: Flask, world: World) -> None:
    code, output = _run(app, "api-keys", "create", "--workspace", "initech", "--name", "deploys")
    assert code == 0, output
    raw = output.strip()
    assert output == raw + "\n" and raw.startswith("vgl_")
    key = keys.verify_key(raw)
    assert key is not None and (key.name, key.workspace_id) == ("deploys", world.workspace.id)
    event = db.session.scalars(select(AuditEvent)).one()
    assert (event.action, event.target, event.details) == (
        "api_key.created",
        "deploys",
        {"prefix": key.prefix, "via": "cli"},
    )


def test_it_refuses_an_unknown_workspace(app: Flask, world: World) -> None:
    code, output = _run(app, "api-keys", "create", "--workspace", "nope", "--name", "x")
    assert code != 0
    assert "No workspace named 'nope'." in output
    assert db.session.scalars(select(ApiKey)).all() == []


def test_it_lists_keys_with_their_state(app: Flask, world: World) -> None:
    active, _ = keys.create_key(world.workspace, "deploys")
    revoked, _ = keys.create_key(world.workspace, "old")
    keys.revoke_key(revoked)
    db.session.commit()
    code, output = _run(app, "api-keys", "list", "--workspace", "Initech")
    lines = output.splitlines()
    assert code == 0
    assert lines[0].startswith(f"{active.prefix}\tactive\tdeploys\tcreated ")
    assert lines[0].endswith("\tlast used never")
    assert lines[1].startswith(f"{revoked.prefix}\trevoked\told\t")


def test_it_revokes_by_prefix(app: Flask, world: World) -> None:
    key, raw = keys.create_key(world.workspace, "deploys")
    db.session.commit()
    code, output = _run(app, "api-keys", "revoke", "--workspace", "Initech", "--prefix", key.prefix)
    assert code == 0, output
    assert output == f"Revoked {key.prefix} (deploys).\n"
    assert keys.verify_key(raw) is None
    code, output = _run(app, "api-keys", "revoke", "--workspace", "Initech", "--prefix", key.prefix)
    assert code != 0 and "No active key starts with" in output


def test_it_prints_the_metrics_json(app: Flask, world: World) -> None:
    make_incident(world.api, utc(2024, 3, 4, 10), ack_after=60, resolve_after=600)
    make_incident(world.web, utc(2024, 3, 5, 10))
    db.session.commit()
    args = ["metrics", "show", "--workspace", "Initech", "--start", "2024-03-04", "--end", "2024-03-11"]
    code, output = _run(app, *args, "--service", world.api.remote_id)
    assert code == 0, output
    body = json.loads(output)
    assert output.startswith('{\n  "window"')
    assert body["window"] == {"start": "2024-03-04", "end": "2024-03-11", "timezone": "UTC"}
    assert body["incident_count"] == 1
    assert body["mttr_seconds"] == {"mean": 600.0, "p50": 600.0, "p90": 600.0, "count": 1}
    assert body["auto_resolve_rate"] == 0.0  # the one resolved incident was resolved by a person
    assert body["dora"] == {"change_failure_rate": None, "recovery_time": None}  # no deployment
    assert body["excluded_count"] == 0


def test_it_prints_the_metrics_of_the_chosen_priorities(app: Flask, world: World) -> None:
    make_priority(world, "P1")
    make_incident(world.api, utc(2024, 3, 4, 10), priority="P1")
    make_incident(world.api, utc(2024, 3, 5, 10))
    db.session.commit()
    args = ["metrics", "show", "--workspace", "Initech", "--start", "2024-03-04", "--end", "2024-03-11"]
    code, output = _run(app, *args, "--priority", "P1")
    assert code == 0, output
    assert json.loads(output)["incident_count"] == 1
    code, output = _run(app, *args, "--priority", "P1", "--priority", "none")
    assert json.loads(output)["incident_count"] == 2
    code, output = _run(app, *args, "--priority", "P7")
    assert code == 2
    assert "--priority" in output and "Unknown priority: P7." in output


def test_it_reports_a_bad_metrics_option(app: Flask, world: World) -> None:
    code, output = _run(app, "metrics", "show", "--workspace", "Initech", "--service", "PNOPE")
    assert code == 2
    assert "--service" in output and "Unknown service id: PNOPE." in output
