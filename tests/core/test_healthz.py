import pytest
from flask.testing import FlaskClient


def test_it_reports_database_and_queue_health(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["queue"]["ok"] is True
    assert set(body["queue"]["queued"]) == {"sync", "deliver", "default"}


class TestWithTheQueueDown:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"redis_url": "redis://127.0.0.1:1/0"}

    def test_it_answers_503_and_names_the_failing_part(self, client: FlaskClient) -> None:
        response = client.get("/healthz")
        assert response.status_code == 503
        body = response.get_json()
        assert body["status"] == "degraded"
        assert body["database"]["ok"] is True
        assert body["queue"] == {"ok": False, "error": "ConnectionError"}
