"""`flask alerts create / list / evaluate`."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask

from tests.alerts.conftest import rule_body


def test_create_list_and_evaluate(
    app: Flask, sim, workspace, pd_service, push, run_jobs, tmp_path: Path
) -> None:
    runner = app.test_cli_runner()
    rule_file = tmp_path / "rule.json"
    rule_file.write_text(json.dumps(rule_body(pd_service)))
    created = runner.invoke(args=["alerts", "create", "--workspace", "Acme", str(rule_file)])
    assert created.exit_code == 0, created.output
    rule_id = int(created.output.strip())

    listed = runner.invoke(args=["alerts", "list", "--workspace", "Acme"])
    condition = "avg(queue.depth) > 100 over 5 min; no data counts as OK"  # as the rules page says it
    assert listed.output == f"{rule_id}\tok\tnot evaluated yet\t{condition}\tQueue too deep\n"

    push(150)
    evaluated = runner.invoke(args=["alerts", "evaluate"])
    assert evaluated.exit_code == 0, evaluated.output
    assert json.loads(evaluated.output)["transitions"] == 1
    run_jobs()
    assert len(sim.control.created()) == 1
    listed = runner.invoke(args=["alerts", "list", "--workspace", "Acme"])
    assert listed.output.split("\t")[1:3] == ["firing", "150"]


def test_create_names_every_bad_field(app: Flask, workspace, pd_service, tmp_path: Path) -> None:
    rule_file = tmp_path / "rule.json"
    rule_file.write_text(json.dumps(rule_body(pd_service, threshold="high", operator="~")))
    result = app.test_cli_runner().invoke(args=["alerts", "create", "--workspace", "Acme", str(rule_file)])
    assert result.exit_code == 1
    assert "threshold: threshold must be a number." in result.output
    assert "operator: operator must be one of" in result.output


def test_create_refuses_a_file_that_is_not_json(app: Flask, workspace, tmp_path: Path) -> None:
    rule_file = tmp_path / "rule.json"
    rule_file.write_text("name: x")
    result = app.test_cli_runner().invoke(args=["alerts", "create", "--workspace", "Acme", str(rule_file)])
    assert result.exit_code == 1 and "is not JSON" in result.output
