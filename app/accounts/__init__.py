"""Sign-up, login, workspaces, members, roles and the audit log."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from app.accounts import (  # noqa: E402,F401
    views_account,
    views_api_keys,
    views_auth,
    views_members,
    views_workspace,
)
