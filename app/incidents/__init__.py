"""The incident explorer: the filtered list, one incident's page, exclusion, and the list as CSV."""

from flask import Blueprint

bp = Blueprint("incidents", __name__)

from app.incidents import views  # noqa: E402,F401
