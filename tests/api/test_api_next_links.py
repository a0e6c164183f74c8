"""The incidents list's `next` link is built from VIGIL_BASE_URL, never from the request's Host header."""

from __future__ import annotations

import pytest

from app.extensions import db
from tests.analytics.factories import World, make_incident, utc
from tests.api.conftest import Api

URL = "/api/v1/incidents"
SPOOFED = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}


def next_link(api: Api, world: World) -> str:
    for hour in range(3):
        make_incident(world.api, utc(2024, 3, 4, hour))
    db.session.commit()
    response = api.client.get(
        URL,
        query_string={"start": "2024-03-04", "end": "2024-03-11", "per_page": "2"},
        headers={"Authorization": f"Bearer {api.key}", **SPOOFED},
    )
    assert response.status_code == 200
    return response.json["next"]


class TestWithABaseUrl:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"base_url": "https://vigil.example.com/"}

    def test_it_links_under_the_base_url(self, api: Api, world: World) -> None:
        link = next_link(api, world)
        assert link.startswith("https://vigil.example.com/api/v1/incidents?")
        assert "page=2" in link and "evil.example" not in link


def test_it_links_by_path_without_a_base_url(api: Api, world: World) -> None:
    link = next_link(api, world)
    assert link.startswith("/api/v1/incidents?") and "page=2" in link
    assert api.client.get(link, headers={"Authorization": f"Bearer {api.key}"}).json["page"] == 2
