"""Classic offset pagination (API-NOTES §1.1)."""

from __future__ import annotations

from pdsim.testing import RestSession


def test_it_defaults_to_25_with_more_and_a_null_total(api: RestSession) -> None:
    body = api.get("/users").json()
    assert len(body["users"]) == 25
    assert (body["limit"], body["offset"], body["more"], body["total"]) == (25, 0, True, None)


def test_it_fills_total_only_when_asked(api: RestSession) -> None:
    assert api.get("/users", params={"total": "true"}).json()["total"] == 60
    assert api.get("/users", params={"total": "false"}).json()["total"] is None


def test_it_caps_limit_at_100_and_echoes_the_limit_used(api: RestSession) -> None:
    body = api.get("/incidents", params={"date_range": "all", "limit": 500}).json()
    assert body["limit"] == 100
    assert len(body["incidents"]) == 100


def test_it_walks_every_page_without_gaps_or_repeats(api: RestSession) -> None:
    seen: list[str] = []
    offset = 0
    while True:
        body = api.get("/users", params={"limit": 7, "offset": offset}).json()
        seen += [u["id"] for u in body["users"]]
        if not body["more"]:
            break
        offset += 7
    assert len(seen) == len(set(seen)) == 60


def test_it_says_no_more_on_the_last_page(api: RestSession) -> None:
    body = api.get("/users", params={"limit": 20, "offset": 40}).json()
    assert len(body["users"]) == 20 and body["more"] is False


def test_it_refuses_offset_plus_limit_past_10000(api: RestSession) -> None:
    resp = api.get("/incidents", params={"date_range": "all", "offset": 9950, "limit": 100})
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["code"] == 2001 and "exceeds maximum allowed value of 10000" in error["errors"][0]
    assert (
        api.get("/incidents", params={"date_range": "all", "offset": 9900, "limit": 100}).status_code == 200
    )


def test_it_refuses_a_negative_offset_or_a_non_numeric_limit(api: RestSession) -> None:
    assert api.get("/users", params={"offset": -1}).status_code == 400
    assert api.get("/users", params={"limit": "ten"}).status_code == 400
