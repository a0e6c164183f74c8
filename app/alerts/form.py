"""The rule form: what the browser posts, turned into the JSON API's shape for `parse_rule`, and back.

The form speaks minutes and "key=value" lines; the API speaks seconds and objects. Errors stay keyed by the
API's field names (`window_seconds`, `targets[0].service`), so the same RuleInvalid from `parse_rule` or
from the live PagerDuty check lands next to the field that caused it.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from app.alerts.rules import MAX_TARGETS
from app.alerts.signals import INCIDENT, INCIDENT_METRICS, PUSHED
from app.inputs import finite_number, text_problem

DEFAULT_INCIDENT_METRIC = "incident_count"
_TARGET_FIELD = re.compile(r"^targets-(\d+)-(account|service|urgency|escalation_policy)$")
_BETWEEN = re.compile(r"between (\d+) and (\d+)")
# Fields the form and the API name alike: texts, and checkboxes.
_TEXTS = ("name", "description", "signal", "operator", "severity", "no_data", "title_template")
_SWITCHES = ("enabled", "muted", "notify_on_resolve")
# The form's multiple choices: the API's `filters` object.
_FILTERS = ("services", "teams", "urgencies")
LABELS = {
    "name": "Name",
    "description": "Description",
    "signal": "Signal",
    "metric": "Metric",
    "aggregation": "Aggregation",
    "labels": "Labels",
    "filters.services": "Services",
    "filters.teams": "Teams",
    "filters.urgencies": "Urgencies",
    "window_seconds": "Window",
    "operator": "Operator",
    "threshold": "Threshold",
    "for_seconds": "For",
    "severity": "Severity",
    "no_data": "No data",
    "title_template": "Title template",
}


@dataclass
class TargetRow:
    account: str = ""
    service: str = ""
    urgency: str = ""
    escalation_policy: str = ""

    @property
    def blank(self) -> bool:
        # The "add another" row comes pre-set to the only account: without a service it pages nobody.
        return not self.service


@dataclass
class RuleForm:
    """The form's values as the browser shows them (text, minutes), whatever their validity."""

    name: str = ""
    description: str = ""
    signal: str = INCIDENT
    metric: str = DEFAULT_INCIDENT_METRIC
    aggregation: str = "avg"
    labels_text: str = ""
    services: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    urgencies: list[str] = field(default_factory=list)
    window_minutes: str = "60"
    operator: str = ">"
    threshold: str = ""
    for_minutes: str = "0"
    severity: str = "error"
    no_data: str = "ok"
    enabled: bool = True
    muted: bool = False
    notify_on_resolve: bool = True
    title_template: str = ""
    targets: list[TargetRow] = field(default_factory=list)

    @classmethod
    def from_request(cls, data: MultiDict[str, str]) -> RuleForm:
        form = cls(
            **{name: data.get(name, getattr(cls, name)) for name in _TEXTS},
            # A checkbox posts nothing when unchecked, so "present" means on.
            **{name: name in data for name in _SWITCHES},
            metric=data.get("metric", ""),
            threshold=data.get("threshold", ""),
            aggregation=data.get("aggregation", "avg"),
            **{name: data.getlist(name) for name in _FILTERS},
            labels_text=data.get("labels", ""),
            window_minutes=data.get("window_minutes", ""),
            for_minutes=data.get("for_minutes", "0"),
            targets=_target_rows(data),
        )
        form.fit_metric_to_signal()
        return form

    @classmethod
    def from_rule(cls, rule: dict[str, Any]) -> RuleForm:
        """From `rule_to_dict(rule)` (so the form edits exactly what the API would return)."""
        return cls(
            **{name: rule[name] or "" for name in _TEXTS},
            **{name: rule[name] for name in _SWITCHES},
            **{name: list(rule["filters"][name]) for name in _FILTERS},
            threshold=f"{rule['threshold']:g}",
            metric=rule["metric"],
            aggregation=rule["aggregation"] or "avg",
            labels_text="\n".join(f"{k}={v}" for k, v in sorted(rule["labels"].items())),
            window_minutes=_minutes(rule["window_seconds"]),
            for_minutes=_minutes(rule["for_seconds"]),
            targets=[
                TargetRow(str(t["account"]), t["service"], t["urgency"] or "", t["escalation_policy"] or "")
                for t in rule["targets"]
            ],
        )

    def fit_metric_to_signal(self) -> None:
        """After the signal changes, the other signal's metric makes no sense: start from a default."""
        if self.signal == INCIDENT and self.metric not in INCIDENT_METRICS:
            self.metric = DEFAULT_INCIDENT_METRIC
        elif self.signal == PUSHED and self.metric in INCIDENT_METRICS:
            self.metric = ""

    def rows_to_show(self, accounts: list[int]) -> list[TargetRow]:
        """The rows the form shows: every target, plus one empty row to add another (pre-set to the only
        account when there is just one, so its services show even without JavaScript)."""
        rows = [t for t in self.targets if not t.blank]
        if len(rows) < MAX_TARGETS:
            rows.append(TargetRow(account=str(accounts[0]) if len(accounts) == 1 else ""))
        return rows

    def to_data(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The JSON API body `parse_rule` takes, and the errors only the form can make (minutes, lines)."""
        errors: dict[str, str] = {}
        data: dict[str, Any] = {
            **{name: getattr(self, name) for name in (*_TEXTS, *_SWITCHES, "threshold", "metric")},
            "window_seconds": _seconds(self.window_minutes, "window_seconds", errors),
            "for_seconds": _seconds(self.for_minutes or "0", "for_seconds", errors),
            "targets": [
                {key: value or None for key, value in asdict(t).items()} for t in self.targets if not t.blank
            ],
        }
        self._check_text(errors)
        if _out_of_bounds(self.threshold):
            errors["threshold"] = "threshold must be between -1e15 and 1e15."
        if self.signal == PUSHED:
            data["aggregation"] = self.aggregation
            data["labels"] = _labels(self.labels_text, errors)
        else:
            data["filters"] = {name: getattr(self, name) for name in _FILTERS}
        return data, errors

    def _check_text(self, errors: dict[str, str]) -> None:
        """The character rules of app/inputs.py on every text the form posts, keyed by the API's names."""
        texts = {
            "name": [self.name],
            "description": [self.description],
            "metric": [self.metric],
            "labels": [self.labels_text],
            "title_template": [self.title_template],
            **{f"filters.{name}": getattr(self, name) for name in _FILTERS},
        }
        for index, target in enumerate(self.targets):
            texts[f"targets[{index}].service"] = [target.account, target.service, target.urgency]
            texts[f"targets[{index}].escalation_policy"] = [target.escalation_policy]
        for key, values in texts.items():
            problem = next((p for p in map(text_problem, values) if p is not None), None)
            if problem is not None:
                errors[key] = f"{key} {problem}"


def _out_of_bounds(text: str) -> bool:
    """A number too large to compare or show (1e308, 27 digits); not-a-number is parse_rule's to say."""
    try:
        return not finite_number(float(text.strip()))
    except ValueError:
        return False


def _target_rows(data: MultiDict[str, str]) -> list[TargetRow]:
    rows: dict[int, TargetRow] = {}
    for key in data:
        match = _TARGET_FIELD.match(key)
        if match and int(match.group(1)) < MAX_TARGETS * 2:
            row = rows.setdefault(int(match.group(1)), TargetRow())
            setattr(row, match.group(2), data.get(key, "").strip())
    return [rows[i] for i in sorted(rows)]


def _minutes(seconds: int) -> str:
    return f"{seconds / 60:g}"


def _seconds(text: str, name: str, errors: dict[str, str]) -> int | None:
    try:
        minutes = float(text.strip())
    except ValueError:
        minutes = math.nan
    if not finite_number(minutes) or minutes < 0:
        errors[name] = "Enter a number of minutes."
        return None
    return round(minutes * 60)


def _labels(text: str, errors: dict[str, str]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            errors["labels"] = f"Line {number}: write each label as key=value."
            return {}
        labels[key.strip()] = value.strip()
    return labels


def friendly(errors: dict[str, str]) -> dict[str, str]:
    """Messages for people reading the form: its own words for fields, minutes rather than seconds."""
    out = {}
    for key, message in errors.items():
        if key in ("window_seconds", "for_seconds"):
            match = _BETWEEN.search(message)
            if match:
                low, high = (int(n) / 60 for n in match.groups())
                message = f"Enter between {low:g} and {high:g} minutes."
        target = re.match(r"^targets\[\d+\]\.(\w+)$", key)
        label = target.group(1).replace("_", " ").capitalize() if target else LABELS.get(key)
        if label and message.startswith(key):
            message = label + message[len(key) :]
        elif label:
            message = message.replace(key, label)
        out[key] = message[:1].upper() + message[1:]
    return out
