"""Vigil: incident analytics and alerting for teams on PagerDuty."""

from __future__ import annotations

from flask import Flask

from config import Settings, load_settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app. Reads like a table of contents and does no I/O (no database, queue or HTTP)."""
    settings = settings or load_settings()
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.update(settings.flask_config())

    from app import logs

    logs.configure(app, settings)

    from app import extensions

    extensions.db.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=str(settings.migrations_path))
    extensions.csrf.init_app(app)
    extensions.htmx.init_app(app)
    extensions.login_manager.init_app(app)
    extensions.oauth.init_app(app)

    from app import security

    security.init_app(app, settings)

    from app.accounts import bp as accounts_bp
    from app.accounts.context import init_app as init_accounts
    from app.alerts import bp as alerts_bp
    from app.analytics import bp as analytics_bp
    from app.analytics.reports import bp as reports_bp
    from app.api import bp as api_bp
    from app.core import bp as core_bp
    from app.incidents import bp as incidents_bp
    from app.integrations.pagerduty import bp as pagerduty_bp
    from app.web import IdConverter

    # Before any blueprint adds its rules: each rule binds its converters when it is added.
    app.url_map.converters["int"] = IdConverter
    init_accounts(app)
    app.register_blueprint(core_bp)
    app.register_blueprint(analytics_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(pagerduty_bp)
    app.register_blueprint(incidents_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(alerts_bp)
    app.register_blueprint(api_bp)

    from app import errors

    errors.init_app(app)

    from app.accounts.cli import users_cli
    from app.alerts.cli import alerts_cli
    from app.api.cli import api_keys_cli, metrics_cli
    from app.integrations.pagerduty.cli import pagerduty_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(pagerduty_cli)
    app.cli.add_command(api_keys_cli)
    app.cli.add_command(metrics_cli)
    app.cli.add_command(alerts_cli)
    return app
