"""The user's own account page: profile, password, and the list of their signed-in sessions."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.accounts import bp, sessions, workspaces
from app.accounts.context import login_only
from app.accounts.forms import PasswordChangeForm, PostForm, ProfileForm
from app.extensions import db


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
                workspaces.set_password(current_user, password.current.data or "", password.new.data or "")
            except workspaces.AccountError as exc:
                db.session.rollback()
                password.form_errors.append(str(exc))
            else:
                db.session.commit()
                flash("Your password is changed. Every other session is signed out.", "success")
                return redirect(url_for("accounts.account"))
        status = 400
    this = sessions.current()
    return render_template(
        "accounts/account.html",
        profile=profile,
        password=password,
        user_sessions=sessions.active_for(current_user),
        this_session_id=this.id if this is not None else None,
        describe_agent=sessions.describe_agent,
    ), status


@bp.post("/account/sessions/<int:session_id>/sign-out")
@login_only
def sign_out_session(session_id: int) -> Response:
    if not PostForm().validate_on_submit():
        abort(400)
    this = sessions.current()
    if this is not None and this.id == session_id:
        sessions.end_current()
        flash("You are logged out.", "info")
        return redirect(url_for("accounts.login"))
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
