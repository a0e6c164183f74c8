"""Sign-up, login, logout, invitations, and one's own account page: profile, password, signed-in sessions."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.accounts import audit, bp, sessions, throttle, workspaces
from app.accounts.context import login_only, public, set_current_workspace
from app.accounts.forms import (
    LoginForm,
    NewWorkspaceForm,
    PasswordChangeForm,
    PostForm,
    ProfileForm,
    SignupForm,
)
from app.extensions import db
from app.models import Invitation
from app.models.types import utcnow
from app.security import is_safe_next

# An invitation link's token is moved from the URL into the session on first use, so the address bar, the
# browser history, Referer headers and access logs of later requests never hold it.
INVITE_KEY = "invite_token"


def _pending_invitation() -> Invitation | None:
    """The invitation whose token this session holds, while it is usable."""
    token = session.get(INVITE_KEY)
    return workspaces.find_invitation(token) if isinstance(token, str) and token else None


def _signup_mode(invitation: Invitation | None) -> str:
    """first-run | invited | open | closed."""
    if workspaces.user_count() == 0:
        return "first-run"
    if invitation is not None:
        return "invited"
    if current_app.config["VIGIL"].open_signup:
        return "open"
    return "closed"


@bp.route("/signup", methods=["GET", "POST"])
@public
def signup() -> Response | tuple[str, int] | str:
    if request.args.get("invite"):
        session[INVITE_KEY] = request.args["invite"]
        return redirect(url_for("accounts.signup"))
    invitation = _pending_invitation()
    mode = _signup_mode(invitation)
    if mode == "closed":
        return render_template("accounts/signup_closed.html"), 403
    if current_user.is_authenticated and mode != "first-run":
        return redirect(url_for("accounts.invitation") if invitation else url_for("core.home"))
    form = SignupForm()
    if invitation is not None and invitation.email and not form.is_submitted():
        form.email.data = invitation.email
    if form.validate_on_submit():
        try:
            user = workspaces.create_user(
                form.email.data or "", form.password.data or "", form.name.data or ""
            )
            if invitation is not None:
                membership = workspaces.accept_invitation(invitation, user)
                workspace = membership.workspace
                audit.record(workspace, "member.joined", user.email, role=membership.role.value)
            else:
                workspace = workspaces.create_workspace(
                    form.workspace.data or "", user, form.timezone.data or "UTC"
                )
                audit.record(workspace, "workspace.created", workspace.name)
        except workspaces.AccountError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            user.last_login_at = utcnow()
            sessions.start(user)
            db.session.commit()
            session.pop(INVITE_KEY, None)
            set_current_workspace(workspace.id)
            flash(f"Welcome to Vigil, {user.display_name}.", "success")
            return redirect(url_for("analytics.dashboard"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/signup.html", form=form, mode=mode, invitation=invitation), status


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Response | tuple[str, int]:
    if workspaces.user_count() == 0:
        return redirect(url_for("accounts.signup"))
    next_url = request.args.get("next")
    form = LoginForm()
    if form.validate_on_submit():
        email = (form.email.data or "").strip().lower()
        attempt = throttle.begin(email, request.remote_addr)
        if attempt.wait > 0:
            minutes = max(1, (attempt.wait + 59) // 60)
            form.form_errors.append(f"Too many failed attempts. Try again in {minutes} minute(s).")
            return render_template("accounts/login.html", form=form), 429
        user = workspaces.authenticate(email, form.password.data or "")
        if user is not None:
            throttle.succeeded(attempt)
            user.last_login_at = utcnow()
            sessions.start(user, remember=bool(form.remember.data))
            db.session.commit()
            return redirect(next_url if is_safe_next(next_url) else url_for("core.home"))
        form.form_errors.append("That email and password do not match an account.")
    return render_template("accounts/login.html", form=form), 400 if form.is_submitted() else 200


@bp.post("/logout")
@login_only
def logout() -> Response:
    if not PostForm().validate_on_submit():
        abort(400)
    return _logged_out()


def _logged_out() -> Response:
    sessions.end_current()
    flash("You are logged out.", "info")
    return redirect(url_for("accounts.login"))


def _keep_invite_token(token: str) -> Response | tuple[str, int]:
    if workspaces.find_invitation(token) is None:
        return render_template("accounts/invitation_invalid.html"), 404
    session[INVITE_KEY] = token
    return redirect(url_for("accounts.invitation"))


@bp.get("/invite/<token>")
@public
def invitation_link(token: str) -> Response | tuple[str, int]:
    """Links made before invitations moved to `/invite?token=` (a path is kept by access logs)."""
    return _keep_invite_token(token)


@bp.route("/invite", methods=["GET", "POST"])
@public
def invitation() -> Response | tuple[str, int]:
    """An invitation link is `/invite?token=…`: the token moves into the session, the page is `/invite`."""
    if request.method == "GET" and request.args.get("token"):
        return _keep_invite_token(request.args["token"])
    invite = _pending_invitation()
    if invite is None:
        return render_template("accounts/invitation_invalid.html"), 404
    form = PostForm()
    if current_user.is_authenticated and form.validate_on_submit():
        try:
            membership = workspaces.accept_invitation(invite, current_user)
            audit.record(invite.workspace, "member.joined", current_user.email, role=membership.role.value)
        except workspaces.AccountError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return render_template("accounts/invitation.html", invite=invite, form=form), 400
        db.session.commit()
        session.pop(INVITE_KEY, None)
        set_current_workspace(invite.workspace_id)
        flash(f"You joined {invite.workspace.name}.", "success")
        return redirect(url_for("analytics.dashboard"))
    return render_template("accounts/invitation.html", invite=invite, form=form), 200


@bp.get("/no-workspace")
@login_only
def no_workspace() -> str:
    return render_template("accounts/no_workspace.html", form=NewWorkspaceForm())


@bp.route("/account", methods=["GET", "POST"])
@login_only
def account() -> tuple[str, int] | Response:
    profile = ProfileForm(prefix="profile", obj=current_user)
    password = PasswordChangeForm(prefix="password")
    if request.method == "POST":
        if "profile-name" in request.form and profile.validate_on_submit():
            current_user.name = (profile.name.data or "").strip()
            db.session.commit()
            flash("Saved.", "success")
            return redirect(url_for("accounts.account"))
        if "password-current" in request.form and password.validate_on_submit():
            try:
                workspaces.set_password(current_user, password.current.data or "", password.new.data or "")
            except workspaces.AccountError as exc:
                db.session.rollback()
                password.form_errors.append(str(exc))
            else:
                db.session.commit()
                flash("Your password is changed. Every other session is signed out.", "success")
                return redirect(url_for("accounts.account"))
    this = sessions.current()
    return render_template(
        "accounts/account.html",
        profile=profile,
        password=password,
        user_sessions=sessions.active_for(current_user),
        this_session_id=this.id if this is not None else None,
        describe_agent=sessions.describe_agent,
    ), 400 if request.method == "POST" else 200


@bp.post("/account/sessions/<int:session_id>/sign-out")
@login_only
def sign_out_session(session_id: int) -> Response:
    if not PostForm().validate_on_submit():
        abort(400)
    this = sessions.current()
    if this is not None and this.id == session_id:
        return _logged_out()
    # Another person's session id is a 404 like any id that is not yours.
    if not sessions.end_one(current_user, session_id):
        abort(404)
    db.session.commit()
    flash("That session is signed out.", "success")
    return redirect(url_for("accounts.account"))


@bp.post("/account/sessions/sign-out-others")
@login_only
def sign_out_other_sessions() -> Response:
    if not PostForm().validate_on_submit():
        abort(400)
    ended = sessions.end_others(current_user)
    db.session.commit()
    flash(f"Signed out everywhere else ({ended} session{'s' if ended != 1 else ''}).", "success")
    return redirect(url_for("accounts.account"))
