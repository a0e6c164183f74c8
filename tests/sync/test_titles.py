"""Title templates for recurring incidents: a property of the stored incident (sync/mapping.py)."""

from __future__ import annotations

import pytest

from app.integrations.pagerduty.sync.mapping import map_incident, normalise_title


@pytest.mark.parametrize(
    ("title", "template"),
    [
        ("Disk 91% full on db-7", "Disk <n>% full on db-<n>"),
        ("CPU high on 10.0.3.17:8080", "CPU high on <ip>"),
        ("Link down to 2001:db8::8a2e:370:7334", "Link down to <ip>"),
        ("Request 3f2a9c1d-1b2c-4d5e-8f90-0123456789ab timed out", "Request <uuid> timed out"),
        ("Build a1b2c3d failed at 0x7ffe12", "Build <hex> failed at <hex>"),
        ('Job "nightly-backup" failed', 'Job "<v>" failed'),
        ("User 'bob' locked out", "User '<v>' locked out"),
        ("p99 latency 1,234.5 ms", "p<n> latency <n> ms"),
        ("Cron ran at 10:30:00", "Cron ran at <n>:<n>:<n>"),
        ("  Added   facade  ", "Added facade"),  # hex-letter words stay words; spaces collapse
        ("Foo::Bar raised", "Foo::Bar raised"),
    ],
)
def test_it_replaces_variable_parts_with_placeholders(title: str, template: str) -> None:
    assert normalise_title(title) == template


def test_it_gives_the_same_template_to_the_same_kind_of_incident() -> None:
    assert normalise_title("Disk 91% full on db-7") == normalise_title("Disk 97% full on db-12")


def test_it_keeps_templates_within_the_column_size() -> None:
    assert len(normalise_title("x" * 600)) == 500


def test_it_maps_an_incident_with_its_title_template() -> None:
    raw = {"id": "P1", "service": {"id": "PSVC"}, "created_at": "2026-03-01T10:00Z", "title": "Disk 91% full"}
    assert map_incident(raw).values["title_template"] == "Disk <n>% full"
