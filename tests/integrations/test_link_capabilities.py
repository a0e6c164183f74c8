"""What a credential lets Vigil do, from its granted scopes and its user's role (pure functions)."""

from __future__ import annotations

import pytest

from app.integrations.pagerduty.capabilities import capabilities, missing, requested_scopes, summary

READ = "users.read services.read teams.read incidents.read change_events.read"
EXTRAS = "priorities.read escalation_policies.read"


@pytest.mark.parametrize(
    ("kind", "alerts", "realtime", "expected"),
    [
        ("scoped", False, False, [*READ.split(), "priorities.read"]),
        (
            "scoped",
            True,
            False,
            [*READ.split(), "priorities.read", "incidents.write", "escalation_policies.read"],
        ),
        (
            "scoped",
            True,
            True,
            [
                *READ.split(),
                "priorities.read",
                "incidents.write",
                "escalation_policies.read",
                "webhook_subscriptions.write",
            ],
        ),
        ("classic", False, False, ["read"]),
        ("classic", False, True, ["write"]),
    ],
)
def test_it_asks_for_the_scopes_the_admin_chose(
    kind: str, alerts: bool, realtime: bool, expected: list[str]
) -> None:
    assert requested_scopes(kind, alert_delivery=alerts, realtime=realtime) == expected


@pytest.mark.parametrize(
    ("scopes", "role", "expected"),
    [
        (f"openid {READ} {EXTRAS} incidents.write webhook_subscriptions.write", "admin",
         "Analytics sync ✓ · Priority filter ✓ · Alert delivery ✓ · Escalation policy choice ✓ · "
         "Near-real-time sync ✓"),
        (f"openid {READ}", "user",
         "Analytics sync ✓ · Priority filter ✗ — needs priorities.read · "
         "Alert delivery ✗ — needs incidents.write · "
         "Escalation policy choice ✗ — needs escalation_policies.read · "
         "Near-real-time sync ✗ — needs webhook_subscriptions.write"),
        ("openid services.read incidents.read incidents.write", "user",
         "Analytics sync ✗ — needs users.read, teams.read, change_events.read · "
         "Priority filter ✗ — needs priorities.read · Alert delivery ✓ · "
         "Escalation policy choice ✗ — needs escalation_policies.read · "
         "Near-real-time sync ✗ — needs webhook_subscriptions.write"),
        ("openid", "user",
         "Analytics sync ✗ — needs users.read, services.read, teams.read, incidents.read, "
         "change_events.read · Priority filter ✗ — needs priorities.read · "
         "Alert delivery ✗ — needs incidents.write · "
         "Escalation policy choice ✗ — needs escalation_policies.read · "
         "Near-real-time sync ✗ — needs webhook_subscriptions.write"),
        ("openid write", "user",
         "Analytics sync ✓ · Priority filter ✓ · Alert delivery ✓ · Escalation policy choice ✓ · "
         "Near-real-time sync ✓"),
        ("openid read", "user",
         "Analytics sync ✓ · Priority filter ✓ · Alert delivery ✗ — needs write · "
         "Escalation policy choice ✓ · "
         "Near-real-time sync ✗ — needs write"),
        ("openid write", "read_only_user",
         "Analytics sync ✓ · Priority filter ✓ · "
         "Alert delivery ✗ — the authorizing user is read-only in PagerDuty · Escalation policy choice ✓ · "
         "Near-real-time sync ✗ — the authorizing user is read-only in PagerDuty"),
    ],
)  # fmt: skip
def test_it_says_what_each_oauth_grant_allows(scopes: str, role: str, expected: str) -> None:
    assert summary(capabilities("oauth", scopes, role)) == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("admin", "Analytics sync ✓ · Priority filter ✓ · Alert delivery ✓ · Escalation policy choice ✓ · "
                  "Near-real-time sync ✓"),
        ("user", "Analytics sync ✓ · Priority filter ✓ · Alert delivery ✓ · Escalation policy choice ✓ · "
                 "Near-real-time sync ? — depends on the token user's role in PagerDuty"),
        ("restricted_access", "Analytics sync ✓ · Priority filter ✓ · "
                              "Alert delivery ? — depends on the token user's role in PagerDuty · "
                              "Escalation policy choice ✓ · "
                              "Near-real-time sync ? — depends on the token user's role in PagerDuty"),
        ("observer", "Analytics sync ✓ · Priority filter ✓ · "
                     "Alert delivery ✗ — the token's user is read-only in PagerDuty · "
                     "Escalation policy choice ✓ · "
                     "Near-real-time sync ✗ — the token's user is read-only in PagerDuty"),
    ],
)  # fmt: skip
def test_it_judges_an_api_token_by_its_users_role(role: str, expected: str) -> None:
    assert summary(capabilities("api_token", "", role)) == expected


def test_it_lists_requested_scopes_pagerduty_did_not_grant() -> None:
    assert missing(["users.read", "incidents.write"], "openid users.read") == ["incidents.write"]
    assert missing(["read"], "openid write") == []
    assert missing(["write"], "openid read") == ["write"]
