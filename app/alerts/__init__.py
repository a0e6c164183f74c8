"""Alert rules over Vigil's metrics and pushed points, their evaluation, and the pages they send to PagerDuty;
the Alerts pages: rules, their form, test alerts and the delivery log."""

from flask import Blueprint

bp = Blueprint("alerts", __name__)

from app.alerts import views_deliveries, views_forms, views_rules, views_test_alert  # noqa: E402,F401
