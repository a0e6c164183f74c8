"""Vigil: incident analytics and alerting for teams on PagerDuty."""

from __future__ import annotations

from flask import Flask

from config import Settings, load_settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app. Reads like a table of contents and does no I/O (no database, queue or HTTP)."""
    from app import errors, extensions, logs, security, web
    from app.accounts import bp as accounts_bp
    from app.accounts.cli import users_cli
    from app.accounts.context import init_app as init_accounts
    from app.alerts import bp as alerts_bp
    from app.alerts.cli import alerts_cli
    from app.analytics import bp as analytics_bp
    from app.analytics.reports import bp as reports_bp
    from app.api import bp as api_bp
    from app.api.cli import api_keys_cli, metrics_cli
    from app.core import bp as core_bp
    from app.incidents import bp as incidents_bp
    from app.integrations.pagerduty import bp as pagerduty_bp
    from app.integrations.pagerduty.cli import pagerduty_cli

    settings = settings or load_settings()
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.update(settings.flask_config())
    logs.configure(app, settings)

    extensions.db.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=str(settings.migrations_path))
    for extension in (extensions.csrf, extensions.htmx, extensions.login_manager, extensions.oauth):
        extension.init_app(app)
    security.init_app(app, settings)

    web.init_app(app)
    init_accounts(app)
    app.register_blueprint(core_bp)
    app.register_blueprint(analytics_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(pagerduty_bp)
    app.register_blueprint(incidents_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(alerts_bp)
    app.register_blueprint(api_bp)
    errors.init_app(app)
    for command in (users_cli, pagerduty_cli, api_keys_cli, metrics_cli, alerts_cli):
        app.cli.add_command(command)
    return app
