"""Who is asking and in which workspace: loaded once per request, checked by decorators on every view."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar
from zoneinfo import available_timezones

from flask import Flask, Response, abort, g, redirect, session, url_for
from flask_login import current_user, login_required
from htmx_flask import request
from sqlalchemy import select

from app.accounts import sessions
from app.extensions import db, login_manager
from app.models import Membership, Role, User, Workspace

P = ParamSpec("P")
R = TypeVar("R")

SESSION_KEY = "workspace_id"


def init_app(app: Flask) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    # The id Flask-Login hands over is a login's token (User.get_id), checked against the session records.
    login_manager.user_loader(sessions.load)

    @login_manager.unauthorized_handler
    def unauthorized() -> Response:
        target = url_for("accounts.login", next=request.full_path.rstrip("?"))
        if request.htmx:
            # An HTMX swap of a login page into a panel would be confusing: send the whole page there.
            return Response(status=401, headers={"HX-Redirect": target})
        return redirect(target)

    app.jinja_env.globals["timezones"] = all_timezones

    @app.before_request
    def load_membership() -> None:
        g.membership = _resolve_membership(current_user) if current_user.is_authenticated else None

    @app.context_processor
    def inject_context() -> dict[str, Any]:
        membership = g.get("membership")
        memberships: list[Membership] = []
        if current_user.is_authenticated:
            memberships = sorted(current_user.memberships, key=lambda m: m.workspace.name.lower())
        return {
            "current_membership": membership,
            "current_workspace": membership.workspace if membership else None,
            "my_memberships": memberships,
            "Role": Role,
        }


@functools.cache
def all_timezones() -> list[str]:
    return sorted(tz for tz in available_timezones() if "/" in tz or tz == "UTC")


def _resolve_membership(user: User) -> Membership | None:
    """The membership of the workspace the session names, else the user's first (which the session keeps)."""
    memberships = user.memberships
    found = next((m for m in memberships if m.workspace_id == session.get(SESSION_KEY)), None)
    if found is None and memberships:
        found = min(memberships, key=lambda m: m.id)
        session[SESSION_KEY] = found.workspace_id
    return found


def current_membership() -> Membership:
    membership = g.get("membership")
    if membership is None:
        abort(404)
    return membership


def current_workspace() -> Workspace:
    return current_membership().workspace


def set_current_workspace(workspace_id: int) -> None:
    session[SESSION_KEY] = workspace_id


def role_required(role: Role) -> Callable[[Callable[P, R]], Callable[P, R | Response]]:
    """Login, a workspace, and at least `role` in it; a member on an admin page gets 403."""

    def decorator(view: Callable[P, R]) -> Callable[P, R | Response]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Response:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            membership = g.get("membership")
            if membership is None:
                return redirect(url_for("accounts.no_workspace"))
            if not membership.role.at_least(role):
                abort(403)
            return view(*args, **kwargs)

        wrapper.access = role.value  # type: ignore[attr-defined]
        return wrapper

    return decorator


def public(view: Callable[P, R]) -> Callable[P, R]:
    """Open to anyone (login, sign-up, health). Marked so the access test knows it is deliberate."""
    view.access = "public"  # type: ignore[attr-defined]
    return view


def login_only(view: Callable[P, R]) -> Callable[P, R]:
    """Needs a logged-in user but no workspace (their own account, switching, creating a workspace)."""
    wrapped = login_required(view)
    wrapped.access = "login"  # type: ignore[attr-defined]
    return wrapped


member_required = role_required(Role.MEMBER)
admin_required = role_required(Role.ADMIN)


def scoped_get_or_404(model: type[Any], object_id: int) -> Any:
    """Fetch a row of the current workspace by id; another workspace's id is a 404, never a leak."""
    row = db.session.scalar(
        select(model).where(model.id == object_id, model.workspace_id == current_workspace().id)
    )
    if row is None:
        abort(404)
    return row
