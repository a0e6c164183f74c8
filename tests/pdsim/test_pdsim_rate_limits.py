"""Rate limits: per-credential budget, headers, 429 with and without headers, incident-write limit (§4)."""

from __future__ import annotations

from typing import Any

from pdsim.testing import RestSession, RunningSim


def test_it_sends_ratelimit_headers_on_evaluated_requests(api: RestSession) -> None:
    first = api.get("/users")
    second = api.get("/users")
    assert first.headers["ratelimit-limit"] == "960"
    assert int(second.headers["ratelimit-remaining"]) == int(first.headers["ratelimit-remaining"]) - 1
    assert 1 <= int(first.headers["ratelimit-reset"]) <= 60
    assert api.get("/users/PNOPE00").headers["ratelimit-limit"] == "960"


def test_it_answers_429_with_code_2020_once_the_budget_is_spent(sim: RunningSim, api: RestSession) -> None:
    sim.control.set_rate_limits(per_token=3)
    statuses = [api.get("/priorities").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    resp = api.get("/priorities")
    assert resp.json() == {"error": {"message": "Rate Limit Exceeded", "code": 2020}}
    assert resp.headers["ratelimit-remaining"] == "0" and int(resp.headers["ratelimit-reset"]) >= 1


def test_it_starts_a_new_window_after_a_minute(sim: RunningSim, api: RestSession) -> None:
    sim.control.set_rate_limits(per_token=1)
    assert api.get("/priorities").status_code == 200
    assert api.get("/priorities").status_code == 429
    sim.control.advance_clock(61)
    assert api.get("/priorities").status_code == 200


def test_it_shares_one_budget_between_a_users_keys(sim: RunningSim, creds: Any) -> None:
    sim.control.set_rate_limits(per_token=2)
    first, second = sim.rest(creds.user_token), sim.rest(creds.second_user_token)
    assert [first.get("/priorities").status_code, second.get("/priorities").status_code] == [200, 200]
    assert second.get("/priorities").status_code == 429
    assert sim.rest(creds.account_token).get("/priorities").status_code == 200, "account keys have their own"


def test_it_sometimes_answers_429_without_headers_or_body(sim: RunningSim, api: RestSession) -> None:
    sim.control.set_rate_limits(per_token=1, bare_429_rate=1.0, seed=1)
    api.get("/priorities")
    resp = api.get("/priorities")
    assert resp.status_code == 429 and resp.content == b""
    assert not any(h.startswith("ratelimit-") for h in resp.headers)


def test_it_limits_incident_creation_more_strictly_per_account(
    sim: RunningSim, api: RestSession, creds: Any
) -> None:
    sim.control.set_rate_limits(post_incidents=2)
    service = next(s["id"] for s in sim.store.services() if s["status"] == "active")
    body = {
        "incident": {
            "type": "incident",
            "title": "limit",
            "service": {"id": service, "type": "service_reference"},
        }
    }
    other = sim.rest(creds.account_token, from_email=sim.admin_email)
    assert api.post("/incidents", json=body).status_code == 201
    created = other.post("/incidents", json=body)
    assert created.status_code == 201 and created.headers["ratelimit-limit"] == "2"
    limited = api.post("/incidents", json=body)
    assert limited.status_code == 429 and limited.json()["error"]["code"] == 2020
    assert api.get("/priorities").status_code == 200, "reads are not affected"
