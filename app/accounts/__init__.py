"""Sign-up, login, workspaces, members, roles and the audit log."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from app.accounts import views_auth, views_members, views_workspace  # noqa: E402,F401
