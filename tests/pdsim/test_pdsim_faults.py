"""Switchable, seeded faults (`/_sim/faults`)."""

from __future__ import annotations

import time

import pytest
import requests

from pdsim.testing import RestSession, RunningSim


def _statuses(api: RestSession, n: int) -> list[int]:
    out = []
    for _ in range(n):
        try:
            out.append(api.get("/priorities").status_code)
        except requests.ConnectionError:
            out.append(0)
    return out


def test_it_injects_server_errors_at_a_rate(sim: RunningSim, api: RestSession) -> None:
    sim.control.set_faults(error_rate=0.5, error_status=503, seed=3)
    found = _statuses(api, 40)
    assert set(found) == {200, 503}
    assert 8 <= found.count(503) <= 32


def test_it_repeats_the_same_faults_for_the_same_seed(sim: RunningSim, api: RestSession) -> None:
    config = {
        "error_rate": 0.3,
        "rate_limit_rate": 0.2,
        "rate_limit_headers": False,
        "drop_rate": 0.1,
        "seed": 7,
    }
    sim.control.set_faults(**config)
    first = _statuses(api, 30)
    sim.control.set_faults(**config)
    assert _statuses(api, 30) == first
    assert {0, 429, 500, 200} <= set(first)


def test_it_sends_429_bursts_with_or_without_headers(sim: RunningSim, api: RestSession) -> None:
    sim.control.set_faults(rate_limit_rate=1.0, rate_limit_headers=True, seed=1)
    resp = api.get("/priorities")
    assert (
        resp.status_code == 429 and resp.json()["error"]["code"] == 2020 and "ratelimit-reset" in resp.headers
    )
    sim.control.set_faults(rate_limit_rate=1.0, rate_limit_headers=False, seed=1)
    bare = api.get("/priorities")
    assert bare.status_code == 429 and bare.content == b"" and "ratelimit-reset" not in bare.headers


def test_it_makes_a_burst_of_consecutive_429s(sim: RunningSim, api: RestSession) -> None:
    sim.control.set_faults(rate_limit_rate=0.05, rate_limit_burst=4, seed=2)
    found = _statuses(api, 80)
    assert "429, 429, 429, 429" in ", ".join(map(str, found))


def test_it_drops_connections_without_answering(sim: RunningSim, api: RestSession) -> None:
    sim.control.set_faults(drop_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        api.get("/priorities")


def test_it_slows_responses_down(sim: RunningSim, api: RestSession) -> None:
    sim.control.set_faults(latency_ms=300)
    started = time.monotonic()
    assert api.get("/priorities").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_it_limits_faults_to_the_given_paths(sim: RunningSim, api: RestSession) -> None:
    sim.control.set_faults(error_rate=1.0, paths=["/incidents"])
    assert api.get("/priorities").status_code == 200
    assert api.get("/incidents").status_code == 500
    assert api.get("/incidents/1").status_code == 500
    assert sim.control.state()["subdomain"] == "acme", "the control API is never faulted"


def test_it_clears_faults(sim: RunningSim, api: RestSession) -> None:
    sim.control.set_faults(error_rate=1.0)
    assert api.get("/priorities").status_code == 500
    sim.control.clear_faults()
    assert api.get("/priorities").status_code == 200


def test_it_refuses_unknown_fault_settings(sim: RunningSim) -> None:
    resp = requests.post(sim.sim.root_url + "/_sim/faults", json={"explode": True}, timeout=10)
    assert resp.status_code == 400
