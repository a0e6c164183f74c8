"""An alert rule as submitted (form or JSON API), validated into a RuleSpec — pure, no database.

`parse_rule(data, choices)` returns a RuleSpec or raises RuleInvalid with one message per field at fault,
keyed by the API's field names ("threshold", "targets[0].service"), so the form and the API say the same
thing. What exists in the workspace (services, teams, accounts) comes in as `Choices`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.alerts.signals import AGGREGATIONS, INCIDENT, INCIDENT_METRICS, PUSHED, SIGNALS
from app.alerts.states import OPERATORS
from app.analytics.population import URGENCIES
from app.inputs import MAX_NUMBER, finite_number, parse_id, parse_int

SEVERITIES = ("critical", "error", "warning", "info")
NO_DATA_POLICIES = ("ok", "alert", "keep")
MAX_WINDOW_SECONDS = 90 * 86400
MAX_PUSHED_WINDOW_SECONDS = 30 * 86400
MAX_FOR_SECONDS = 7 * 86400
MAX_TARGETS = 10
MAX_LABELS = 20
METRIC_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]{0,199}$")
# What a title template may name; pages.render_title fills them in. Any other brace would reach PagerDuty
# as it is typed, so the template is refused instead.
PLACEHOLDERS = ("rule", "metric", "value", "threshold", "operator", "severity", "window")
_BRACED = re.compile(r"\{([^{}]*)\}")


class RuleInvalid(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Choices:
    """What a rule may name in this workspace: local ids by PagerDuty id, and linked accounts by id."""

    services: Mapping[str, int] = field(default_factory=dict)  # PagerDuty service id -> local id
    teams: Mapping[str, int] = field(default_factory=dict)
    accounts: Sequence[int] = ()


@dataclass(frozen=True)
class TargetSpec:
    account_id: int
    service_remote_id: str
    urgency: str | None = None
    escalation_policy_remote_id: str | None = None


@dataclass(frozen=True)
class RuleSpec:
    name: str
    signal: str
    metric: str
    window_seconds: int
    operator: str
    threshold: float
    description: str = ""
    aggregation: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    filters: dict[str, list[Any]] = field(default_factory=dict)  # local ids
    for_seconds: int = 0
    severity: str = "error"
    no_data: str = "ok"
    enabled: bool = True
    muted: bool = False
    notify_on_resolve: bool = True
    title_template: str = ""
    targets: tuple[TargetSpec, ...] = ()


def _text(
    data: Mapping[str, Any], name: str, errs: dict[str, str], *, limit: int, required: bool = False
) -> str:
    value = data.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        errs.setdefault(name, f"{name} must be text.")
        return ""
    value = value.strip()
    if "\x00" in value:
        errs.setdefault(name, f"{name} must not contain NUL characters.")
    elif required and not value:
        errs.setdefault(name, f"{name} is required.")
    elif len(value) > limit:
        errs.setdefault(name, f"{name} is at most {limit} characters.")
    return value


def _choice(
    data: Mapping[str, Any], name: str, allowed: Sequence[str], default: str | None, errs: dict[str, str]
) -> str:
    value = data.get(name, default)
    if value in (None, "") and default is not None:
        value = default
    if value not in allowed:
        errs.setdefault(name, f"{name} must be one of: {', '.join(allowed)}.")
        return default or allowed[0]
    return str(value)


def _int(
    data: Mapping[str, Any],
    name: str,
    errs: dict[str, str],
    *,
    low: int,
    high: int,
    default: int | None = None,
) -> int:
    value = data.get(name, default)
    if isinstance(value, str):
        # From the form; parse_int refuses "²" and 5,000 digits, which isdigit() lets through to int().
        value = parse_int(value)
    if value is None or isinstance(value, bool) or not isinstance(value, int):
        errs.setdefault(name, f"{name} must be a whole number.")
        return low
    if not low <= value <= high:
        errs.setdefault(name, f"{name} must be between {low} and {high}.")
    return value


def _number(data: Mapping[str, Any], name: str, errs: dict[str, str]) -> float:
    value = data.get(name)
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            value = None
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        errs.setdefault(name, f"{name} must be a number.")
        return 0.0
    if not finite_number(value):
        # -1e308 or 27 digits: accepted, they would break every layout and the PagerDuty title.
        errs.setdefault(name, f"{name} must be a number between -{MAX_NUMBER:,.0f} and {MAX_NUMBER:,.0f}.")
        return 0.0
    return float(value)


def _title_template(data: Mapping[str, Any], errs: dict[str, str]) -> str:
    title = _text(data, "title_template", errs, limit=255)
    known = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
    for match in _BRACED.finditer(title):
        if match.group(1) not in PLACEHOLDERS:
            message = f"title_template has an unknown placeholder {match.group()}: use {known}."
            errs.setdefault("title_template", message)
            return title
    rest = _BRACED.sub("", title)
    if "{" in rest or "}" in rest:
        message = f"title_template has an unbalanced {{ or }}: braces only surround a placeholder ({known})."
        errs.setdefault("title_template", message)
    return title


def _bool(data: Mapping[str, Any], name: str, default: bool, errs: dict[str, str]) -> bool:
    value = data.get(name, default)
    if isinstance(value, str) and value.lower() in ("true", "on", "1", "yes", "false", "off", "0", "no", ""):
        return value.lower() in ("true", "on", "1", "yes")
    if not isinstance(value, bool):
        errs.setdefault(name, f"{name} must be true or false.")
        return default
    return value


def _labels(data: Mapping[str, Any], errs: dict[str, str]) -> dict[str, str]:
    labels = data.get("labels") or {}
    if not isinstance(labels, dict):
        errs.setdefault("labels", "labels must be an object of text values.")
        return {}
    if len(labels) > MAX_LABELS:
        errs.setdefault("labels", f"labels has at most {MAX_LABELS} entries.")
    if not all(
        isinstance(k, str) and 0 < len(k) <= 100 and isinstance(v, str) and len(v) <= 200
        for k, v in labels.items()
    ):
        errs.setdefault("labels", "each label is a name (up to 100 characters) and a text value (up to 200).")
        return {}
    return dict(labels)


def _id_list(value: Any, known: Mapping[str, int], name: str, errs: dict[str, str]) -> list[int]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errs.setdefault(name, f"{name} must be a list of PagerDuty ids.")
        return []
    unknown = [v for v in value if v not in known]
    if unknown:
        errs.setdefault(name, f"unknown {name}: {', '.join(unknown[:5])}.")
        return []
    return sorted({known[v] for v in value})


def _filters(data: Mapping[str, Any], choices: Choices, errs: dict[str, str]) -> dict[str, list[Any]]:
    raw = data.get("filters") or {}
    if not isinstance(raw, dict):
        errs.setdefault("filters", "filters must be an object with services, teams and urgencies.")
        return {}
    services = _id_list(raw.get("services"), choices.services, "filters.services", errs)
    teams = _id_list(raw.get("teams"), choices.teams, "filters.teams", errs)
    urgencies = raw.get("urgencies") or []
    if isinstance(urgencies, str):
        urgencies = [urgencies]
    if not isinstance(urgencies, list) or any(u not in URGENCIES for u in urgencies):
        errs.setdefault("filters.urgencies", "filters.urgencies may only hold high and low.")
        urgencies = []
    found = {"services": services, "teams": teams, "urgencies": sorted(set(urgencies))}
    return {key: ids for key, ids in found.items() if ids}


def _targets(data: Mapping[str, Any], choices: Choices, errs: dict[str, str]) -> tuple[TargetSpec, ...]:
    raw = data.get("targets") or []
    if not isinstance(raw, list):
        errs.setdefault("targets", "targets must be a list.")
        return ()
    if len(raw) > MAX_TARGETS:
        errs.setdefault("targets", f"a rule pages at most {MAX_TARGETS} services.")
        return ()
    out = []
    for i, item in enumerate(raw):
        where = f"targets[{i}]"
        if not isinstance(item, dict):
            errs.setdefault(where, f"{where} must be an object with account and service.")
            continue
        account = item.get("account")
        if isinstance(account, str):  # from the form; parse_id refuses "²", which isdigit() lets through
            account = parse_id(account)
        if account not in choices.accounts:
            errs.setdefault(
                f"{where}.account", f"{where}.account must be a linked PagerDuty account of this workspace."
            )
            continue
        service = item.get("service")
        if not isinstance(service, str) or not service.strip() or len(service) > 40:
            errs.setdefault(f"{where}.service", f"{where}.service is required: a PagerDuty service id.")
            continue
        urgency = item.get("urgency") or None
        if urgency is not None and urgency not in URGENCIES:
            errs.setdefault(
                f"{where}.urgency", f"{where}.urgency must be high, low or empty (from severity)."
            )
        policy = item.get("escalation_policy") or None
        if policy is not None and (not isinstance(policy, str) or len(policy) > 40):
            errs.setdefault(
                f"{where}.escalation_policy", f"{where}.escalation_policy must be a PagerDuty id."
            )
            policy = None
        out.append(TargetSpec(int(account), service.strip(), urgency, policy))  # type: ignore[arg-type]
    keys = [(t.account_id, t.service_remote_id) for t in out]
    if len(set(keys)) != len(keys):
        errs.setdefault("targets", "each service may be paged only once per rule.")
    return tuple(out)


def parse_rule(data: Mapping[str, Any], choices: Choices) -> RuleSpec:
    errs: dict[str, str] = {}  # by field; the first error about a field is kept
    name = _text(data, "name", errs, limit=120, required=True)
    description = _text(data, "description", errs, limit=2000)
    signal = _choice(data, "signal", SIGNALS, None, errs)
    metric = _text(data, "metric", errs, limit=200, required=True)
    aggregation = None
    labels: dict[str, str] = {}
    filters: dict[str, list[Any]] = {}
    max_window = MAX_WINDOW_SECONDS
    if signal == INCIDENT:
        if metric and metric not in INCIDENT_METRICS:
            errs.setdefault("metric", f"metric must be one of: {', '.join(INCIDENT_METRICS)}.")
        filters = _filters(data, choices, errs)
    elif signal == PUSHED:
        if metric and not METRIC_NAME.match(metric):
            errs.setdefault(
                "metric",
                "metric must be a pushed metric name: letters, digits, _ . : - (starting with a letter).",
            )
        aggregation = _choice(data, "aggregation", AGGREGATIONS, "avg", errs)
        labels = _labels(data, errs)
        max_window = MAX_PUSHED_WINDOW_SECONDS
    spec = RuleSpec(  # fields still to check are checked in this order, which orders the errors
        name=name,
        signal=signal,
        metric=metric,
        description=description,
        aggregation=aggregation,
        labels=labels,
        filters=filters,
        window_seconds=_int(data, "window_seconds", errs, low=60, high=max_window, default=3600),
        operator=_choice(data, "operator", tuple(OPERATORS), None, errs),
        threshold=_number(data, "threshold", errs),
        for_seconds=_int(data, "for_seconds", errs, low=0, high=MAX_FOR_SECONDS, default=0),
        severity=_choice(data, "severity", SEVERITIES, "error", errs),
        no_data=_choice(data, "no_data", NO_DATA_POLICIES, "ok", errs),
        title_template=_title_template(data, errs),
        enabled=_bool(data, "enabled", True, errs),
        muted=_bool(data, "muted", False, errs),
        notify_on_resolve=_bool(data, "notify_on_resolve", True, errs),
        targets=_targets(data, choices, errs),
    )
    if spec.enabled and not spec.targets and not any(key.startswith("targets") for key in errs):
        # An enabled rule with nowhere to page would fire silently: say so while the form is still open.
        errs.setdefault("targets", "choose at least one service to page, or save the rule disabled.")
    if errs:
        raise RuleInvalid(errs)
    return spec
