"""Log entries in words, without a database."""

from __future__ import annotations

import pytest

from app.incidents.timeline import describe


@pytest.mark.parametrize(
    ("entry_type", "user", "channel", "agent", "words"),
    [
        ("trigger_log_entry", None, "api", "service_reference", "Triggered"),
        ("trigger_log_entry", None, "email", "user_reference", "Triggered through email"),
        ("acknowledge_log_entry", "Ada", "website", "user_reference", "Acknowledged by Ada"),
        ("notify_log_entry", "Bo", "sms", None, "Notified Bo by SMS"),
        ("notify_log_entry", "Bo", "phone", None, "Notified Bo by phone call"),
        ("escalate_log_entry", "Cy", None, None, "Escalated to Cy"),
        ("assign_log_entry", "Cy", None, None, "Assigned to Cy"),
        ("unacknowledge_log_entry", None, "timeout", None, "Unacknowledged by timeout"),
        ("resolve_log_entry", None, "timeout", None, "Resolved by timeout"),
        ("resolve_log_entry", None, "auto", "service_reference", "Resolved automatically by the service"),
        ("resolve_log_entry", "Ada", "website", "user_reference", "Resolved by Ada"),
        ("annotate_log_entry", None, None, None, "Annotate"),
    ],
)
def test_it_describes_log_entries(
    entry_type: str, user: str | None, channel: str | None, agent: str | None, words: str
) -> None:
    assert describe(entry_type, user, channel, agent) == words
