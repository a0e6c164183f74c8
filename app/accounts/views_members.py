"""Members page: invitations, roles, removal. Owners and admins only."""

from __future__ import annotations

from typing import NoReturn

from flask import abort, flash, g, redirect, render_template, url_for
from werkzeug.wrappers import Response

from app.accounts import audit, bp, workspaces
from app.accounts.context import admin_required, current_membership, current_workspace, scoped_get_or_404
from app.accounts.forms import InviteForm, PostForm, RoleForm
from app.extensions import db
from app.models import Invitation, Membership, Role
from app.models.types import utcnow
from app.web import is_htmx, page_or_partial, show_once, take_shown_once


def _gone() -> NoReturn:
    """The acting or the target membership was removed by a request that ran at the same time."""
    db.session.rollback()
    g.membership = None  # expired and deleted: the error page must not read it
    abort(404)


def _context(new_link: str | None = None, invite_form: InviteForm | None = None) -> dict[str, object]:
    workspace = current_workspace()
    return {
        "members": workspaces.workspace_members(workspace),
        "invitations": workspaces.pending_invitations(workspace),
        "invite_form": invite_form or InviteForm(),
        "new_link": new_link,
        "me": current_membership(),
    }


@bp.get("/settings/members")
@admin_required
def members() -> str:
    return render_template("accounts/members.html", **_context(new_link=take_shown_once("invitation_link")))


@bp.post("/settings/members/invite")
@admin_required
def invite() -> Response | tuple[str, int]:
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invitation, token = workspaces.create_invitation(
                current_workspace(), current_membership(), Role(form.role.data), form.email.data or None
            )
        except workspaces.AccountError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            target = invitation.email or "(any address)"
            audit.record(current_workspace(), "invitation.created", target, role=invitation.role.value)
            db.session.commit()
            link = url_for("accounts.invitation", token=token, _external=True)
            if not is_htmx():
                show_once("invitation_link", link)
                return redirect(url_for("accounts.members"))
            return render_template("accounts/_invitations.html", **_context(new_link=link)), 201
    return page_or_partial(
        "accounts/members.html", "accounts/_invitations.html", 400, **_context(invite_form=form)
    )


@bp.post("/settings/invitations/<int:invitation_id>/revoke")
@admin_required
def revoke_invitation(invitation_id: int) -> Response | tuple[str, int]:
    if not PostForm().validate_on_submit():
        abort(400)
    invitation = scoped_get_or_404(Invitation, invitation_id)
    invitation.revoked_at = utcnow()
    audit.record(current_workspace(), "invitation.revoked", invitation.email or "(any address)")
    db.session.commit()
    if is_htmx():
        return page_or_partial("accounts/members.html", "accounts/_invitations.html", **_context())
    flash("Invitation revoked.", "success")
    return redirect(url_for("accounts.members"))


@bp.post("/settings/members/<int:membership_id>/role")
@admin_required
def change_role(membership_id: int) -> Response | tuple[str, int]:
    target = scoped_get_or_404(Membership, membership_id)
    form = RoleForm()
    error = None
    if not form.validate_on_submit():
        error = "Pick one of the listed roles."
    else:
        old = target.role
        try:
            workspaces.assign_role(target, Role(form.role.data), current_membership())
        except workspaces.MembershipGone:
            _gone()
        except workspaces.AccountError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            audit.record(
                current_workspace(),
                "member.role_changed",
                target.user.email,
                old=old.value,
                new=target.role.value,
            )
            db.session.commit()
    status = 400 if error else 200
    if is_htmx():
        return render_template(
            "accounts/_member_row.html", m=target, error=error, saved=error is None, **_context()
        ), status
    flash(error or f"{target.user.email} is now {target.role.value}.", "error" if error else "success")
    return redirect(url_for("accounts.members"))


@bp.post("/settings/members/<int:membership_id>/remove")
@admin_required
def remove_member(membership_id: int) -> Response | tuple[str, int]:
    if not PostForm().validate_on_submit():
        abort(400)
    target = scoped_get_or_404(Membership, membership_id)
    email = target.user.email
    try:
        workspaces.remove_member(current_membership(), target)
    except workspaces.MembershipGone:
        _gone()
    except workspaces.AccountError as exc:
        db.session.rollback()
        if is_htmx():
            return render_template("accounts/_member_row.html", m=target, error=str(exc), **_context()), 400
        flash(str(exc), "error")
        return redirect(url_for("accounts.members"))
    audit.record(current_workspace(), "member.removed", email)
    db.session.commit()
    if is_htmx():
        return "", 200
    flash(f"{email} was removed.", "success")
    return redirect(url_for("accounts.members"))
