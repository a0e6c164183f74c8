"""Alert rules over Vigil's metrics and pushed points, their evaluation, and the pages they send to PagerDuty;
the Alerts pages: rules, their form, test alerts and the delivery log."""

from flask import Blueprint

bp = Blueprint("alerts", __name__)

# unlink answers integrations' unlink signals from the moment the app is created.
from app.alerts import unlink, views_forms, views_rules  # noqa: E402,F401
