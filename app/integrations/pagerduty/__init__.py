"""PagerDuty: the REST API v2 client, linking accounts, the sync, webhooks and sending alert pages (facts in
shared/pagerduty/API-NOTES.md); the Integrations page and everything about linking accounts."""

from flask import Blueprint

bp = Blueprint("pagerduty", __name__)

from app.integrations.pagerduty import views, webhooks  # noqa: E402,F401
from app.integrations.pagerduty.sync import views as sync_views  # noqa: E402,F401
