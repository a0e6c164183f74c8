"""The shell around the features: home, health, and the pages of features yet to be linked."""

from flask import Blueprint

bp = Blueprint("core", __name__)

from app.core import views  # noqa: E402,F401
