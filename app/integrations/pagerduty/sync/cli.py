"""`flask pagerduty sync`: enqueue a sync of a workspace's accounts, or run it here and print the result."""

from __future__ import annotations

import click
from redis.exceptions import RedisError
from sqlalchemy import delete, update

from app.accounts import audit
from app.accounts.cli import workspace_named
from app.extensions import db
from app.models import AccountStatus, PagerDutyAccount, PDService, SyncCheckpoint, SyncKind, SyncRun
from app.queue import QueueNotConfigured

from ..accounts import workspace_accounts
from ..cli import ACCOUNT, WORKSPACE, _account
from ..history import MAX_DAYS, MIN_DAYS, HistoryError, set_history_days
from ..link import account_label
from . import runner

# The streams an incremental run starts from; without them (and with services not backfilled) it backfills.
RESET_STREAMS = ("incidents", "log_entries", "change_events", "backfill")


@click.command("sync")
@WORKSPACE
@ACCOUNT
@click.option("--full", is_flag=True, help="Start over: fetch the selected services' whole history again.")
@click.option("--wait", is_flag=True, help="Run the sync here and print its result (no worker needed).")
@click.option(
    "--history-days",
    type=int,
    help=f"First set how many days of history to fetch ({MIN_DAYS}-{MAX_DAYS}); a longer history is "
    "fetched by this sync, a shorter one deletes nothing.",
)
def sync_command(
    workspace_name: str, account_id: int | None, full: bool, wait: bool, history_days: int | None
) -> None:
    """Sync one account (--account) or every active account of the workspace."""
    workspace = workspace_named(workspace_name)
    if account_id is not None:
        accounts = [_account(workspace, account_id)]
    else:
        accounts = [a for a in workspace_accounts(workspace.id) if a.status is AccountStatus.ACTIVE]
        if not accounts:
            raise click.ClickException(f"{workspace.name} has no active PagerDuty account.")
    if history_days is not None:
        for account in accounts:
            try:
                change = set_history_days(account, history_days, via="cli")
            except HistoryError as exc:
                raise click.ClickException(f"{account_label(account)}: {exc}") from None
            click.echo(f"{account_label(account)}: {change.describe()}")
    failures = [account_label(a) for a in accounts if not _sync_one(a, full, wait)]
    if failures:
        raise click.ClickException(f"Sync failed: {', '.join(failures)}.")


def _sync_one(account: PagerDutyAccount, full: bool, wait: bool) -> bool:
    label = account_label(account)
    if account.status is not AccountStatus.ACTIVE:
        click.echo(f"{label}: not synced, the account is {account.status.value}.", err=True)
        return False
    if full:
        reset(account)
        click.echo(f"{label}: reset; the next run fetches the selected services' history again.")
    if wait:
        return _run_here(account, label)
    try:
        job = runner.request_sync(account, trigger=SyncKind.MANUAL)
    except (RedisError, QueueNotConfigured) as exc:
        raise click.ClickException(
            f"The job queue is unreachable ({exc}); use --wait to sync here."
        ) from None
    if job is None:
        click.echo(f"{label}: a sync is running already.")
    else:
        click.echo(f"{label}: enqueued job {job.id}")
    return True


def _run_here(account: PagerDutyAccount, label: str) -> bool:
    outcome = runner.run(account.id, trigger=SyncKind.MANUAL)
    if outcome == "busy":
        click.echo(f"{label}: a sync is running already (by a worker); not started.", err=True)
        return False
    sync_run = _latest(account)
    counts = ""
    if sync_run is not None:
        duration = f", {sync_run.duration_seconds:.1f} s" if sync_run.duration_seconds is not None else ""
        counts = (
            f": {sync_run.kind.value} ({sync_run.stage or 'not started'}), {sync_run.fetched} fetched, "
            f"{sync_run.created} created, {sync_run.updated} updated, {sync_run.requests} requests{duration}"
        )
    click.echo(f"{label}: {outcome}{counts}")
    if sync_run is not None and sync_run.error:
        click.echo(f"{label}: {sync_run.error}", err=True)
    return outcome in {"succeeded", "waiting", "skipped"}


def _latest(account: PagerDutyAccount) -> SyncRun | None:
    db.session.expire_all()
    runs = runner.latest_runs(account, 1)
    return runs[0] if runs else None


def reset(account: PagerDutyAccount) -> None:
    """Forget how far the sync got, so the next run backfills the selected services from scratch."""
    db.session.execute(
        update(PDService)
        .where(PDService.account_id == account.id, PDService.selected.is_(True))
        .values(backfilled_at=None)
    )
    db.session.execute(
        delete(SyncCheckpoint).where(
            SyncCheckpoint.account_id == account.id, SyncCheckpoint.stream.in_(RESET_STREAMS)
        )
    )
    audit.record(account.workspace, "pagerduty.sync_reset", account.subdomain, via="cli")
    db.session.commit()
