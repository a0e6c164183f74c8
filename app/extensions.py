"""Extensions, created unbound; `create_app` binds them to an app."""

from __future__ import annotations

from typing import Any

from authlib.integrations.flask_client import OAuth
from flask import Flask
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData, event
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL (and make batch mode work).
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Database(SQLAlchemy):
    """SQLite enforces foreign keys only when each connection asks, so the schema's ON DELETE CASCADE and
    SET NULL hold on both engines: deleting a parent row deletes (or detaches) its children."""

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        with app.app_context():
            for engine in self.engines.values():
                if engine.dialect.name == "sqlite":
                    event.listen(engine, "connect", _enforce_foreign_keys)


def _enforce_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA foreign_keys=ON")


db = Database(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = Htmx()
oauth = OAuth()


def is_postgresql() -> bool:
    """Whether the session's database is PostgreSQL: the one test for the few places whose SQL differs."""
    return db.session.get_bind().dialect.name == "postgresql"
