"""POST /api/v1/deployments under concurrency: retries of one deployment racing each other record it once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import Deployment
from tests.analytics.factories import World

URL = "/api/v1/deployments"
RACERS = 20


def test_it_records_one_deployment_when_twenty_retries_race(app: Flask, world: World, api_key: str) -> None:
    body = {"service": world.api.remote_id, "at": "2024-03-04T10:00:00Z", "summary": "v2", "id": "build-7"}
    start = threading.Barrier(RACERS)

    def post() -> tuple[int, object]:
        client = app.test_client()
        start.wait()
        response = client.post(URL, json=body, headers={"Authorization": f"Bearer {api_key}"})
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(RACERS) as pool:
        answers = list(pool.map(lambda _: post(), range(RACERS)))

    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * (RACERS - 1) + [201], answers
    assert len({answer["id"] for _, answer in answers}) == 1  # type: ignore[index]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Deployment)) == 1
