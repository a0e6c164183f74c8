"""`python -m pdsim seed|serve` as child processes: banner, reuse of `--db`, restarts."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from pdsim.testing import RestSession, run_pdsim_process

pytestmark = pytest.mark.slow


def test_it_serves_what_it_prints(tmp_path: Path, creds: Any) -> None:
    with run_pdsim_process(
        incidents=200,
        days=60,
        anchor=creds.anchor,
        api_tokens=["cli-token"],
        account_tokens=["cli-account"],
        oauth_clients=["cli-client:cli-secret"],
        db_path=tmp_path / "sim.db",
    ) as proc:
        state = proc.control.state()
        assert state["counts"]["incidents"] == 200 and state["base_url"] == proc.base_url
        me = RestSession(proc.base_url, "cli-token").get("/users/me")
        assert me.status_code == 200 and me.json()["user"]["email"] == proc.admin_email
        assert RestSession(proc.base_url, "cli-account").get("/users/me").status_code == 400
        token = requests.post(
            proc.identity_url + "/oauth/token",
            timeout=10,
            data={
                "grant_type": "client_credentials",
                "client_id": "cli-client",
                "client_secret": "cli-secret",
                "scope": "as_account-us.acme incidents.read",
            },
        )
        assert token.status_code == 200


def test_it_reuses_the_database_across_restarts(tmp_path: Path, creds: Any) -> None:
    db = tmp_path / "sim.db"
    with run_pdsim_process(
        incidents=200, days=60, anchor=creds.anchor, oauth_clients=["c:s"], db_path=db
    ) as proc:
        proc.control.add_token("added-at-runtime")
        body = requests.post(
            proc.identity_url + "/oauth/token",
            timeout=10,
            data={
                "grant_type": "client_credentials",
                "client_id": "c",
                "client_secret": "s",
                "scope": "as_account-us.acme incidents.read",
            },
        ).json()
        counts = proc.control.state()["counts"]
        first = (
            RestSession(proc.base_url, "added-at-runtime")
            .get("/incidents", params={"date_range": "all", "limit": 100})
            .json()["incidents"]
        )
        proc.kill()
    with run_pdsim_process(db_path=db) as proc:
        assert proc.control.state()["counts"] == counts
        again = (
            RestSession(proc.base_url, "added-at-runtime")
            .get("/incidents", params={"date_range": "all", "limit": 100})
            .json()["incidents"]
        )
        assert [(i["id"], i["title"], i["status"]) for i in again] == [
            (i["id"], i["title"], i["status"]) for i in first
        ]
        assert RestSession(proc.base_url, bearer=body["access_token"]).get("/incidents").status_code == 200


def test_it_seeds_without_serving(tmp_path: Path, creds: Any) -> None:
    db = tmp_path / "seeded.db"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pdsim",
            "seed",
            "--db",
            str(db),
            "--incidents",
            "150",
            "--days",
            "30",
            "--seed",
            "9",
            "--anchor",
            creds.anchor,
            "--region",
            "eu",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "seeded" in done.stderr and done.stdout == ""
    with run_pdsim_process(db_path=db, api_tokens=["eu-cli"]) as proc:
        state = proc.control.state()
        assert state["region"] == "eu" and state["counts"]["incidents"] == 150
        assert RestSession(proc.eu_url, "eu-cli").get("/users/me").status_code == 200


def test_it_rejects_bad_arguments(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pdsim",
            "seed",
            "--db",
            str(tmp_path / "x.db"),
            "--subdomain",
            "not a subdomain",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "subdomain" in done.stderr


def test_responders_answer_pages_on_their_own_when_served_with_the_switch(creds: Any) -> None:
    with run_pdsim_process(
        incidents=50, days=30, anchor=creds.anchor, api_tokens=["cli-token"], extra_args=("--responders",)
    ) as proc:
        settings = proc.control.responders()
        assert settings["enabled"] is True and settings["seed"] == 42
        proc.control.set_responders(acknowledge=1.0, resolve_by_hand=0.0)
        api = RestSession(proc.base_url, "cli-token", from_email=proc.admin_email)
        service = api.get("/services", params={"limit": 1}).json()["services"][0]["id"]
        page = {
            "type": "incident",
            "title": "Vigil: queue depth",
            "service": {"id": service, "type": "service_reference"},
        }
        incident = api.post("/incidents", json={"incident": page}).json()["incident"]
        proc.control.advance_clock(3600)
        deadline = time.monotonic() + 15  # the responders' own thread looks every second
        while time.monotonic() < deadline:
            if api.get(f"/incidents/{incident['id']}").json()["incident"]["status"] == "acknowledged":
                break
            time.sleep(0.2)
        assert api.get(f"/incidents/{incident['id']}").json()["incident"]["status"] == "acknowledged"
