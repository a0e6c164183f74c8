"""The analytics dashboard and its panels (registered by create_app)."""

from flask import Blueprint

bp = Blueprint("analytics", __name__)

from app.analytics import views, views_export  # noqa: E402,F401
