"""Fixtures for the whole suite: an app on a fresh database per test, the queue, personas, a browser.

With DATABASE_URL / REDIS_URL set (CI), tests run on a *new* PostgreSQL database created on that server for
this run (never the one the URL names) and on Redis database VIGIL_TEST_REDIS_DB (default 15), flushed after
each test. Without them, on SQLite in a temp folder and the embedded queue, exactly as `make run` does.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from config import Settings, load_settings
from pdsim.testing import RunningSim
from tests.factories import Personas, make_personas
from tests.pdsim_support import PdsimAccount, PdsimServers, clean, pointing_at

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def _server_url(url: str) -> str:
    return url.replace("postgres://", "postgresql+psycopg://", 1).replace(
        "postgresql://", "postgresql+psycopg://", 1
    )


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    given = os.environ.get("DATABASE_URL")
    if not given:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'vigil-test.db'}"
        return
    server = make_url(_server_url(given))
    name = f"vigil_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_server_url() -> str | None:
    """The PostgreSQL server of this run, for tests that create databases of their own (migrations)."""
    given = os.environ.get("DATABASE_URL")
    return _server_url(given) if given else None


def _with_redis_db(url: str, index: int) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{index}"))


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    given = os.environ.get("REDIS_URL")
    if given:
        index = int(os.environ.get("VIGIL_TEST_REDIS_DB", "15"))
        yield _with_redis_db(given, index)
        return
    from app.launcher import EmbeddedRedis

    embedded = EmbeddedRedis().start()
    try:
        yield embedded.url
    finally:
        embedded.stop()


@pytest.fixture(scope="session")
def base_settings(database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    env = {
        "SECRET_KEY": "test-secret-key-0123456789",
        "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "VIGIL_INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "VIGIL_LOGIN_MAX_FAILURES": "5",
    }
    return load_settings(env, testing=True, extra={"WTF_CSRF_ENABLED": False, "SERVER_NAME": None})


@pytest.fixture(scope="session")
def _schema(base_settings: Settings) -> None:
    app = create_app(base_settings)
    with app.app_context():
        db.create_all()
        db.engine.dispose()


@pytest.fixture(scope="session")
def pdsim_servers() -> Iterator[PdsimServers]:
    """pdsim (the local PagerDuty), one simulator per seeded account, started when a test first needs it."""
    with ExitStack() as stack:
        yield PdsimServers(stack)


@pytest.fixture
def pdsim_account() -> PdsimAccount | None:
    """The pdsim account a package or module runs against (override it, e.g. `return SYNC`); none here."""
    return None


@pytest.fixture
def sim_session(pdsim_servers: PdsimServers, pdsim_account: PdsimAccount | None) -> RunningSim:
    """The simulator of `pdsim_account` as earlier tests left it."""
    assert pdsim_account is not None, "override the pdsim_account fixture to say which account to run"
    return pdsim_servers(pdsim_account)


@pytest.fixture
def sim(sim_session: RunningSim) -> RunningSim:
    """The simulator of `pdsim_account` back to its seeded data, with no faults."""
    return clean(sim_session)


@pytest.fixture
def settings_overrides(
    request: pytest.FixtureRequest, pdsim_account: PdsimAccount | None
) -> dict[str, object]:
    """Override in a test module to change settings, e.g. `{"open_signup": True}`. With a `pdsim_account`,
    Vigil sends every PagerDuty request to its simulator."""
    if pdsim_account is None:
        return {}
    return pointing_at(request.getfixturevalue("sim_session"), **dict(pdsim_account.settings))


@pytest.fixture
def app(base_settings: Settings, _schema: None, settings_overrides: dict[str, object]) -> Iterator[Flask]:
    settings = dataclasses.replace(base_settings, **settings_overrides)  # type: ignore[arg-type]
    app = create_app(settings)
    # Also flushed before: a test without this fixture (the demo, the launcher, migrations) can run between
    # two that have it, and CI once found two stray jobs in the queue at the start of the next one.
    _flush_queue(base_settings.redis_url)
    with app.app_context():
        yield app
        db.session.remove()
        _empty_all_tables()
        _flush_queue(base_settings.redis_url)
        db.engine.dispose()


def _empty_all_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


def _flush_queue(url: str | None) -> None:
    if url:
        conn = Redis.from_url(url)
        conn.flushdb()
        conn.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def personas(app: Flask) -> Personas:
    """owner, admin and member of Acme; outsider owns Globex."""
    return make_personas()


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, email: str, password: str = "correct horse battery") -> object:
        return self.client.post("/login", data={"email": email, "password": password})

    def logout(self) -> object:
        return self.client.post("/logout")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def login_as(client: FlaskClient) -> Callable[[str], FlaskClient]:
    def login(email: str) -> FlaskClient:
        response = client.post("/login", data={"email": email, "password": "correct horse battery"})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return login


@pytest.fixture
def admin(login_as: Callable[[str], FlaskClient], personas: Personas) -> FlaskClient:
    """The test client logged in as Acme's admin."""
    return login_as(personas.admin.email)


@pytest.fixture
def run_jobs(app: Flask) -> Callable[[], int]:
    """Run every queued job now, in this process, with a real RQ worker; returns how many ran."""
    from app.queue import QUEUE_NAMES, get_queue, redis_connection
    from app.worker import VigilWorker

    class CountingWorker(VigilWorker):
        performed = 0

        def perform_job(self, job, queue):  # type: ignore[no-untyped-def]
            self.performed += 1
            return super().perform_job(job, queue)

    def run() -> int:
        connection = redis_connection()
        worker = CountingWorker(
            [get_queue(n, connection) for n in QUEUE_NAMES], connection=connection, app=app
        )
        worker.work(burst=True)
        return worker.performed

    return run


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
