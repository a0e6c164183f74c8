"""The account page's sync widget (HTMX, polls only while a run is active), "Sync now", and the webhook
subscription forms. The account page includes the partial the HTMX endpoint returns, with
`sync_widget(account)`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.accounts import audit
from app.accounts.context import admin_required, current_membership, member_required
from app.accounts.context import scoped_get_or_404 as get_or_404
from app.accounts.forms import PostForm
from app.extensions import db
from app.forms import VigilForm
from app.models import AccountStatus, PagerDutyAccount, Role, SyncKind, SyncRun
from app.models.types import utcnow
from app.queue import PENDING, QueueNotConfigured, redis_connection
from app.web import is_htmx

from .. import bp, oauth, webhooks
from ..cards import Card, card_for
from ..credentials import settings
from ..directory import selection_counts
from . import jobs, runner

PARTIAL = "integrations/_sync_status.html"


class SecretForm(VigilForm):
    secret = PasswordField("Signing secret", validators=[DataRequired(), Length(max=200)])
    subscription_id = StringField("Subscription id (optional)", validators=[Optional(), Length(max=40)])


@dataclass(frozen=True)
class Widget:
    account: PagerDutyAccount
    runs: list[SyncRun]
    job_pending: bool
    selected: int
    can_admin: bool
    blocked_reason: str | None
    notice: str | None = None
    card: Card | None = None  # set for HTMX answers, which swap the card out of band
    oauth_ready: bool = False

    @property
    def latest(self) -> SyncRun | None:
        return self.runs[0] if self.runs else None

    @property
    def active(self) -> bool:
        return self.job_pending or (self.latest is not None and self.latest.status in runner.ACTIVE)

    @property
    def time_left(self) -> str | None:
        run = self.latest
        if run is None or run.status not in runner.ACTIVE or run.started_at is None:
            return None
        return time_left(run.progress, (utcnow() - run.started_at).total_seconds())


def time_left(progress: float, elapsed_seconds: float) -> str | None:
    """The rest of a run at the pace of what is done; None before 5 % or 10 s (too early to tell)."""
    if progress < 0.05 or progress >= 1 or elapsed_seconds < 10:
        return None
    seconds = elapsed_seconds * (1 - progress) / progress
    if seconds < 60:
        return "less than a minute left"
    if seconds < 90 * 60:
        return f"about {round(seconds / 60)} min left"
    return f"about {seconds / 3600:.1f} h left"


def shown_error(error: str | None) -> str | None:
    """A run's error as members read it: a sentence, never an exception's text."""
    if error and error.startswith(runner.INTERNAL_ERROR):
        return (
            "The sync stopped on an error inside Vigil; the details are in the server log. "
            "The next sync resumes from where this one stopped."
        )
    return error


bp.add_app_template_global(shown_error, "sync_error")


def blocked_reason(account: PagerDutyAccount) -> str | None:
    """Why "Sync now" is not offered; the account page shows this instead."""
    if account.status is AccountStatus.UNLINKED:
        return "This account is unlinked: re-link it to sync again."
    if account.status is AccountStatus.NEEDS_ATTENTION:
        return account.status_reason or "This account needs attention: re-link it."
    return None


def _job_pending(account: PagerDutyAccount) -> bool:
    try:
        job = Job.fetch(runner.job_id(account.id), connection=redis_connection())
        return job.get_status(refresh=False) in PENDING
    except (NoSuchJobError, RedisError, QueueNotConfigured):
        return False


def sync_widget(account: PagerDutyAccount, notice: str | None = None, with_card: bool = False) -> Widget:
    return Widget(
        account=account,
        runs=runner.latest_runs(account),
        job_pending=_job_pending(account),
        selected=selection_counts(account)[0],
        can_admin=current_membership().role.at_least(Role.ADMIN),
        blocked_reason=blocked_reason(account),
        notice=notice,
        card=card_for(account) if with_card else None,
        oauth_ready=oauth.is_configured(settings()),
    )


@bp.get("/integrations/pagerduty/<int:account_id>/sync")
@member_required
def sync_status(account_id: int) -> Response | str:
    account = get_or_404(PagerDutyAccount, account_id)
    if not is_htmx():  # the widget's own address, opened as a page: the page it belongs to
        return redirect(url_for("pagerduty.account", account_id=account.id))
    return render_template(PARTIAL, sync=sync_widget(account, with_card=True))


@bp.post("/integrations/pagerduty/<int:account_id>/sync")
@admin_required
def sync_now(account_id: int) -> Response | tuple[str, int]:
    account = get_or_404(PagerDutyAccount, account_id)
    if not PostForm().validate_on_submit():
        abort(400)
    notice, status = _request(account)
    if not is_htmx():
        flash(notice, "success" if status == 202 else "error")
        return redirect(url_for("pagerduty.account", account_id=account.id))
    return render_template(PARTIAL, sync=sync_widget(account, notice, with_card=True)), status


def _request(account: PagerDutyAccount) -> tuple[str, int]:
    if reason := blocked_reason(account):
        return reason, 409
    try:
        job = jobs.request_sync(account, trigger=SyncKind.MANUAL)
    except (RedisError, QueueNotConfigured):
        return "The job queue is unreachable: the sync could not be started. Try again shortly.", 503
    if job is None:
        return "A sync is running; its progress shows here.", 409
    audit.record(account.workspace, "pagerduty.sync_requested", account.subdomain, job=job.id)
    db.session.commit()
    return "Sync requested.", 202


def webhook_panel(account: PagerDutyAccount) -> dict[str, Any]:
    return {
        "enabled": bool(account.webhook_secret_enc),
        "subscription_id": account.webhook_subscription_id,
        "base_url": webhooks.base_url(),
        "allowed": webhooks.allows_realtime(account),
        "endpoint": webhooks.endpoint_url(account) if webhooks.base_url() else None,
        "secret_form": SecretForm(),
    }


@bp.post("/integrations/pagerduty/<int:account_id>/webhook/enable")
@admin_required
def webhook_enable(account_id: int) -> Response:
    return _subscription_action(account_id, webhooks.enable, "Near-real-time sync is on.")


@bp.post("/integrations/pagerduty/<int:account_id>/webhook/disable")
@admin_required
def webhook_disable(account_id: int) -> Response:
    return _subscription_action(account_id, webhooks.disable, "Near-real-time sync is off.")


@bp.post("/integrations/pagerduty/<int:account_id>/webhook/secret")
@admin_required
def webhook_secret(account_id: int) -> Response:
    account = get_or_404(PagerDutyAccount, account_id)
    form = SecretForm()
    if not form.validate_on_submit():
        flash("Paste the subscription's signing secret.", "error")
    elif account.status is AccountStatus.UNLINKED:
        flash("This account is unlinked: re-link it first.", "error")
    else:
        webhooks.save_secret(account, form.secret.data or "", form.subscription_id.data or None)
        flash("Signing secret saved: deliveries are verified with it.", "success")
    return redirect(url_for("pagerduty.account", account_id=account.id, _anchor="webhooks"))


def _subscription_action(account_id: int, action: Callable[[PagerDutyAccount], None], done: str) -> Response:
    account = get_or_404(PagerDutyAccount, account_id)
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        action(account)
    except webhooks.SubscriptionError as exc:
        flash(str(exc), "error")
    else:
        flash(done, "success")
    return redirect(url_for("pagerduty.account", account_id=account.id, _anchor="webhooks"))
