"""What a linked account's credential lets Vigil do, decided from its scopes and its user's role (pure).

API-NOTES §5.2-5.3: a scoped OAuth app asks for per-resource scopes, a classic one for `read` or `write`
(`write` includes read), and PagerDuty grants partial scopes silently — so Vigil reads what was granted and
says what each missing grant costs. A user API token has no scopes: it can do what its user can.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

ANALYTICS_SCOPES = ("users.read", "services.read", "teams.read", "incidents.read", "change_events.read")
# Read scopes of features beside the sync: without them the sync runs, but the priority filter offers no
# priorities and an alert target cannot name an escalation policy.
PRIORITY_SCOPE = "priorities.read"
POLICY_SCOPE = "escalation_policies.read"
ALERT_SCOPE = "incidents.write"
REALTIME_SCOPE = "webhook_subscriptions.write"
# API-NOTES §2.2 roles that cannot create incidents or subscriptions whatever the credential says.
READ_ONLY_ROLES = frozenset({"read_only_user", "read_only_limited_user", "observer"})
ADMIN_ROLES = frozenset({"admin", "owner"})
ROLE_DEPENDENT = "depends on the token user's role in PagerDuty"

State = Literal["yes", "no", "maybe"]


@dataclass(frozen=True)
class Capability:
    name: str
    state: State
    note: str = ""

    @property
    def symbol(self) -> str:
        return {"yes": "✓", "no": "✗", "maybe": "?"}[self.state]

    def __str__(self) -> str:
        return f"{self.name} {self.symbol}" + (f" — {self.note}" if self.note and self.state != "yes" else "")


def scope_set(scopes: str | Iterable[str]) -> frozenset[str]:
    return frozenset(scopes.split() if isinstance(scopes, str) else scopes)


def requested_scopes(kind: str, *, alert_delivery: bool, realtime: bool) -> list[str]:
    """The scopes to ask for: the read set always, the write scopes only for what the admin ticked."""
    if kind == "classic":
        return ["write"] if alert_delivery or realtime else ["read"]
    scopes = [*ANALYTICS_SCOPES, PRIORITY_SCOPE]
    if alert_delivery:
        scopes += [ALERT_SCOPE, POLICY_SCOPE]
    if realtime:
        scopes.append(REALTIME_SCOPE)
    return scopes


def missing(requested: Iterable[str], granted: str | Iterable[str]) -> list[str]:
    """Requested scopes PagerDuty did not grant (`write` satisfies a request for `read`)."""
    have = scope_set(granted)
    return [s for s in requested if s not in have and not (s == "read" and "write" in have)]


def capabilities(auth_kind: str, scopes: str | Iterable[str], role: str | None) -> list[Capability]:
    granted = scope_set(scopes)
    if auth_kind == "api_token":
        alert, hook = _token_writes(role)
    elif granted & {"read", "write"}:  # a classic OAuth app: `read` reads everything, `write` writes too
        alert = _write_capability("Alert delivery", "write" in granted, "write", role)
        hook = _write_capability("Near-real-time sync", "write" in granted, "write", role)
    else:
        lacking = [s for s in ANALYTICS_SCOPES if s not in granted]
        return [
            Capability("Analytics sync", "no" if lacking else "yes", "needs " + ", ".join(lacking)),
            _read_capability("Priority filter", PRIORITY_SCOPE, granted),
            _write_capability("Alert delivery", ALERT_SCOPE in granted, ALERT_SCOPE, role),
            _read_capability("Escalation policy choice", POLICY_SCOPE, granted),
            _write_capability("Near-real-time sync", REALTIME_SCOPE in granted, REALTIME_SCOPE, role),
        ]
    return [
        Capability("Analytics sync", "yes"),
        Capability("Priority filter", "yes"),
        alert,
        Capability("Escalation policy choice", "yes"),
        hook,
    ]


def summary(caps: Iterable[Capability]) -> str:
    """ "Analytics sync ✓ · Alert delivery ✗ — needs incidents.write · …"."""
    return " · ".join(str(cap) for cap in caps)


def _token_writes(role: str | None) -> tuple[Capability, Capability]:
    if role in READ_ONLY_ROLES:
        return (
            Capability("Alert delivery", "no", "the token's user is read-only in PagerDuty"),
            Capability("Near-real-time sync", "no", "the token's user is read-only in PagerDuty"),
        )
    known_writer = role is not None and role != "restricted_access"
    return (
        Capability("Alert delivery", "yes" if known_writer else "maybe", ROLE_DEPENDENT),
        Capability("Near-real-time sync", "yes" if role in ADMIN_ROLES else "maybe", ROLE_DEPENDENT),
    )


def _read_capability(name: str, scope: str, granted: frozenset[str]) -> Capability:
    return Capability(name, "yes") if scope in granted else Capability(name, "no", f"needs {scope}")


def _write_capability(name: str, granted: bool, scope: str, role: str | None) -> Capability:
    if not granted:
        return Capability(name, "no", f"needs {scope}")
    if role in READ_ONLY_ROLES:
        # An OAuth user token is the intersection of its scopes and its user's permissions (API-NOTES §5.2).
        return Capability(name, "no", "the authorizing user is read-only in PagerDuty")
    return Capability(name, "yes")
