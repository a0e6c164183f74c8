"""A rule as submitted: every field checked, each error named with the API's field name."""

from __future__ import annotations

from typing import Any

import pytest

from app.alerts.rules import Choices, RuleInvalid, TargetSpec, parse_rule

CHOICES = Choices(services={"PSVC1": 11, "PSVC2": 12}, teams={"PTEAM1": 21}, accounts=[5])


def body(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Too many incidents",
        "signal": "incident",
        "metric": "incident_count",
        "window_seconds": 3600,
        "operator": ">=",
        "threshold": 5,
        "targets": [{"account": 5, "service": "PSVC1"}],
    }
    data.update(fields)
    return data


def test_a_valid_incident_rule() -> None:
    spec = parse_rule(
        body(filters={"services": ["PSVC2"], "teams": ["PTEAM1"], "urgencies": ["high"]}, for_seconds="300"),
        CHOICES,
    )
    assert spec.filters == {"services": [12], "teams": [21], "urgencies": ["high"]}
    assert (spec.for_seconds, spec.threshold, spec.severity, spec.no_data) == (300, 5.0, "error", "ok")
    assert (spec.enabled, spec.muted, spec.notify_on_resolve) == (True, False, True)
    assert spec.targets == (TargetSpec(5, "PSVC1"),)


def test_a_valid_pushed_rule_from_form_strings() -> None:
    spec = parse_rule(
        body(
            signal="pushed",
            metric="queue.depth",
            aggregation="last",
            labels={"env": "prod"},
            threshold="12.5",
            no_data="alert",
            notify_on_resolve="off",
            muted="on",
            targets=[{"account": "5", "service": "PSVC1", "urgency": "low", "escalation_policy": "PEP1"}],
        ),
        CHOICES,
    )
    assert (spec.aggregation, spec.labels, spec.threshold, spec.no_data) == (
        "last",
        {"env": "prod"},
        12.5,
        "alert",
    )
    assert (spec.notify_on_resolve, spec.muted) == (False, True)
    assert spec.targets == (TargetSpec(5, "PSVC1", "low", "PEP1"),)


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"name": ""}, "name", "required"),
        ({"name": "x" * 121}, "name", "at most 120"),
        ({"signal": "logs"}, "signal", "one of"),
        ({"metric": "uptime"}, "metric", "one of"),
        ({"signal": "pushed", "metric": "9lives"}, "metric", "pushed metric name"),
        ({"signal": "pushed", "metric": "m", "aggregation": "median"}, "aggregation", "one of"),
        ({"window_seconds": 30}, "window_seconds", "between 60"),
        ({"window_seconds": "an hour"}, "window_seconds", "whole number"),
        ({"signal": "pushed", "metric": "m", "window_seconds": 31 * 86400}, "window_seconds", "between"),
        ({"operator": "=>"}, "operator", "one of"),
        ({"threshold": "NaN"}, "threshold", "number"),
        ({"threshold": None}, "threshold", "number"),
        ({"for_seconds": -1}, "for_seconds", "between 0"),
        ({"severity": "sev1"}, "severity", "one of"),
        ({"no_data": "ignore"}, "no_data", "one of"),
        ({"enabled": "maybe"}, "enabled", "true or false"),
        ({"filters": {"services": ["PNOPE"]}}, "filters.services", "unknown"),
        ({"filters": {"urgencies": ["medium"]}}, "filters.urgencies", "high and low"),
        ({"targets": [{"account": 6, "service": "PSVC1"}]}, "targets[0].account", "linked"),
        ({"targets": [{"account": 5}]}, "targets[0].service", "required"),
        (
            {"targets": [{"account": 5, "service": "PSVC1", "urgency": "urgent"}]},
            "targets[0].urgency",
            "high, low",
        ),
        (
            {"targets": [{"account": 5, "service": "P1"}, {"account": 5, "service": "P1"}]},
            "targets",
            "only once",
        ),
        ({"targets": "PSVC1"}, "targets", "list"),
        ({"title_template": "x" * 256}, "title_template", "at most 255"),
        (
            {"title_template": "{nope} is {value}"},
            "title_template",
            "unknown placeholder {nope}: use {rule},",
        ),
        ({"title_template": "{value"}, "title_template", "unbalanced { or }"),
        ({"title_template": "{rule}} at {value}"}, "title_template", "unbalanced { or }"),
        ({"title_template": "{{value}}"}, "title_template", "unbalanced { or }"),
        ({"threshold": "-1e308"}, "threshold", "a number between -1,000,000,000,000,000 and"),
        ({"threshold": "1" + "0" * 26}, "threshold", "a number between"),
        ({"threshold": -1e308}, "threshold", "a number between"),
        ({"window_seconds": "²"}, "window_seconds", "whole number"),
        ({"window_seconds": "--5"}, "window_seconds", "whole number"),
        ({"for_seconds": "9" * 5000}, "for_seconds", "whole number"),
        ({"targets": [{"account": "²", "service": "PSVC1"}]}, "targets[0].account", "linked"),
        ({"targets": [{"account": "9" * 5000, "service": "PSVC1"}]}, "targets[0].account", "linked"),
        ({"signal": "pushed", "metric": "m", "labels": {"env": 1}}, "labels", "text value"),
    ],
)
def test_invalid_fields_are_named(fields: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(RuleInvalid) as caught:
        parse_rule(body(**fields), CHOICES)
    assert words in caught.value.errors[field], caught.value.errors


def test_every_error_is_reported_at_once() -> None:
    with pytest.raises(RuleInvalid) as caught:
        parse_rule({"signal": "incident"}, CHOICES)
    assert {"name", "metric", "operator", "threshold"} <= set(caught.value.errors)
