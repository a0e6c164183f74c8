"""Sign-up, login, logout, invitations and the user's own account page."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.security import check_password_hash
from werkzeug.wrappers import Response

from app.accounts import audit, bp, service, throttle
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
from app.models.types import utcnow
from app.security import is_safe_next


def _signup_mode(invite_token: str | None) -> str:
    """first-run | invited | open | closed."""
    if service.user_count() == 0:
        return "first-run"
    if invite_token and service.find_invitation(invite_token) is not None:
        return "invited"
    if current_app.config["VIGIL"].open_signup:
        return "open"
    return "closed"


@bp.route("/signup", methods=["GET", "POST"])
@public
def signup() -> Response | tuple[str, int] | str:
    invite_token = request.args.get("invite")
    mode = _signup_mode(invite_token)
    if mode == "closed":
        return render_template("accounts/signup_closed.html"), 403
    if current_user.is_authenticated and mode != "first-run":
        return redirect(
            url_for("accounts.invitation", token=invite_token) if invite_token else url_for("core.home")
        )
    invitation = service.find_invitation(invite_token) if mode == "invited" and invite_token else None
    form = SignupForm()
    if invitation is not None and invitation.email and not form.is_submitted():
        form.email.data = invitation.email
    if form.validate_on_submit():
        try:
            user = service.create_user(form.email.data or "", form.password.data or "", form.name.data or "")
            if invitation is not None:
                membership = service.accept_invitation(invitation, user)
                workspace = membership.workspace
                audit.record(workspace, "member.joined", user.email, role=membership.role.value)
            else:
                workspace = service.create_workspace(
                    form.workspace.data or "", user, form.timezone.data or "UTC"
                )
                audit.record(workspace, "workspace.created", workspace.name)
        except service.AccountError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            user.last_login_at = utcnow()
            db.session.commit()
            login_user(user)
            set_current_workspace(workspace.id)
            flash(f"Welcome to Vigil, {user.display_name}.", "success")
            return redirect(url_for("analytics.dashboard"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/signup.html", form=form, mode=mode, invitation=invitation), status


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Response | tuple[str, int]:
    if service.user_count() == 0:
        return redirect(url_for("accounts.signup"))
    next_url = request.args.get("next")
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = (form.email.data or "").strip().lower()
        wait = throttle.seconds_until_allowed(email, request.remote_addr)
        if wait > 0:
            minutes = max(1, (wait + 59) // 60)
            form.form_errors.append(f"Too many failed attempts. Try again in {minutes} minute(s).")
            return render_template("accounts/login.html", form=form), 429
        user = service.find_user(email)
        if (
            user is None
            or not user.active
            or not check_password_hash(user.password_hash, form.password.data or "")
        ):
            throttle.record_failure(email, request.remote_addr)
            form.form_errors.append("That email and password do not match an account.")
            status = 400
        else:
            throttle.clear(email)
            user.last_login_at = utcnow()
            db.session.commit()
            login_user(user, remember=bool(form.remember.data))
            return redirect(next_url if is_safe_next(next_url) else url_for("core.home"))
    elif form.is_submitted():
        status = 400
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@login_only
def logout() -> Response:
    if not PostForm().validate_on_submit():
        abort(400)
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
@public
def invitation(token: str) -> Response | tuple[str, int]:
    invite = service.find_invitation(token)
    if invite is None:
        return render_template("accounts/invitation_invalid.html"), 404
    form = PostForm()
    if current_user.is_authenticated and form.validate_on_submit():
        try:
            membership = service.accept_invitation(invite, current_user)
            audit.record(invite.workspace, "member.joined", current_user.email, role=membership.role.value)
        except service.AccountError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return render_template("accounts/invitation.html", invite=invite, form=form, token=token), 400
        db.session.commit()
        set_current_workspace(invite.workspace_id)
        flash(f"You joined {invite.workspace.name}.", "success")
        return redirect(url_for("analytics.dashboard"))
    return render_template("accounts/invitation.html", invite=invite, form=form, token=token), 200


@bp.get("/no-workspace")
@login_only
def no_workspace() -> str:
    return render_template("accounts/no_workspace.html", form=NewWorkspaceForm())


@bp.route("/account", methods=["GET", "POST"])
@login_only
def account() -> tuple[str, int] | Response:
    profile = ProfileForm(prefix="profile", obj=current_user)
    password = PasswordChangeForm(prefix="password")
    status = 200
    if request.method == "POST":
        if "profile-name" in request.form and profile.validate_on_submit():
            current_user.name = (profile.name.data or "").strip()
            db.session.commit()
            flash("Saved.", "success")
            return redirect(url_for("accounts.account"))
        if "password-current" in request.form and password.validate_on_submit():
            try:
                service.set_password(current_user, password.current.data or "", password.new.data or "")
            except service.AccountError as exc:
                password.form_errors.append(str(exc))
            else:
                db.session.commit()
                flash("Your password is changed.", "success")
                return redirect(url_for("accounts.account"))
        status = 400
    return render_template("accounts/account.html", profile=profile, password=password), status
