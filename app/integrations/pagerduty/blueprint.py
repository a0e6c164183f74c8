"""The Integrations page and everything about linking PagerDuty accounts (registered by create_app)."""

from flask import Blueprint

bp = Blueprint("pagerduty", __name__)

from app.integrations.pagerduty import views, views_account, webhooks  # noqa: E402,F401
from app.integrations.pagerduty.sync import views as sync_views  # noqa: E402,F401
