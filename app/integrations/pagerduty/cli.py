"""`flask pagerduty …`: link with a token, list and select services, sync, unlink, re-encrypt tokens.

Failures exit non-zero with the message the web UI shows for the same failure.
"""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from redis.exceptions import RedisError
from sqlalchemy import delete, select, update

from app import crypto
from app.accounts import audit
from app.accounts.cli import workspace_named
from app.extensions import db
from app.models import AccountStatus, PagerDutyAccount, PDService, SyncCheckpoint, SyncKind, Workspace
from app.queue import QueueNotConfigured

from . import link, unlinking
from .cards import method_text
from .credentials import workspace_accounts
from .directory import filtered_services
from .history import MAX_DAYS, MIN_DAYS, HistoryError, set_history_days
from .link import LinkError
from .sync import jobs, runner

pagerduty_cli = AppGroup("pagerduty", help="Link PagerDuty accounts, choose their services, unlink them.")

WORKSPACE = click.option("--workspace", "workspace_name", required=True, help="The workspace's name.")
ACCOUNT = click.option(
    "--account", "account_id", type=int, help="Account id (from `accounts`); needed when there are several."
)


@pagerduty_cli.command("link")
@WORKSPACE
@click.option(
    "--token",
    required=True,
    envvar="VIGIL_PAGERDUTY_TOKEN",
    help="A user API token, or - to read it from stdin.",
)
@click.option("--region", type=click.Choice(["us", "eu"]), help="Default: try US, then EU.")
@ACCOUNT
def link_command(workspace_name: str, token: str, region: str | None, account_id: int | None) -> None:
    """Link (or re-link, or replace the token of) an account with a user API token; prints its id."""
    workspace = workspace_named(workspace_name)
    replacing = _account(workspace, account_id) if account_id is not None else None
    if token == "-":
        token = sys.stdin.readline()
    try:
        result = link.link_with_token(workspace, token, region, None, replacing, via="cli")
    except LinkError as exc:
        raise click.ClickException(str(exc)) from None
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    click.echo(result.account.id)


@pagerduty_cli.command("accounts")
@WORKSPACE
def accounts_command(workspace_name: str) -> None:
    """List the workspace's PagerDuty accounts."""
    for account in workspace_accounts(workspace_named(workspace_name).id):
        reason = f" — {account.status_reason}" if account.status_reason else ""
        label = link.account_label(account)
        click.echo(f"{account.id}\t{label}\t{account.status.value}{reason}\t{method_text(account)}")


@pagerduty_cli.command("services")
@WORKSPACE
@ACCOUNT
@click.option("--select", "select_ids", multiple=True, help="PagerDuty service id to follow (repeatable).")
@click.option("--deselect", "deselect_ids", multiple=True, help="PagerDuty service id to stop following.")
@click.option("--select-all", is_flag=True, help="Follow every service.")
@click.option("--select-none", is_flag=True, help="Follow no service.")
@click.option("--refresh", is_flag=True, help="Fetch the services from PagerDuty first.")
def services_command(
    workspace_name: str,
    account_id: int | None,
    select_ids: tuple[str, ...],
    deselect_ids: tuple[str, ...],
    select_all: bool,
    select_none: bool,
    refresh: bool,
) -> None:
    """List the account's services with their selection, after applying any changes asked for."""
    account = _account(workspace_named(workspace_name), account_id)
    changes = bool(select_ids or deselect_ids or select_all or select_none)
    if (changes or refresh) and account.status is AccountStatus.UNLINKED:
        raise click.ClickException("This account is unlinked: link it again to change its services.")
    if select_all and select_none:
        raise click.ClickException("Use --select-all or --select-none, not both.")
    if refresh:
        _, problem = link.refresh_services(account)
        if problem:
            raise click.ClickException(problem)
    services = filtered_services(account)
    by_remote = {s.remote_id: s for s in services}
    unknown = sorted((set(select_ids) | set(deselect_ids)) - set(by_remote))
    if unknown:
        raise click.ClickException(f"No such service in {link.account_label(account)}: {', '.join(unknown)}")
    if select_all or select_none:
        link.select_services(account, services, select_all, via="cli")
    link.select_services(account, [by_remote[i] for i in select_ids], True, via="cli")
    link.select_services(account, [by_remote[i] for i in deselect_ids], False, via="cli")
    if not services:
        click.echo(
            "PagerDuty returned no services for this account (none exist, or the token's user sees none)."
        )
    for service in services:
        mark = "[x]" if service.selected else "[ ]"
        flags = "" if service.can_trigger else f" ({service.status}: triggers no incidents)"
        gone = " (deleted in PagerDuty)" if service.deleted_remotely else ""
        click.echo(f"{mark} {service.remote_id}\t{service.name}{flags}{gone}")


@pagerduty_cli.command("unlink")
@WORKSPACE
@ACCOUNT
@click.option("--delete-data", is_flag=True, help="Also delete everything synced from the account.")
def unlink_command(workspace_name: str, account_id: int | None, delete_data: bool) -> None:
    """Unlink an account: best-effort token revocation, tokens deleted, synced data kept unless asked."""
    account = _account(workspace_named(workspace_name), account_id)
    label = link.account_label(account)
    result = unlinking.unlink(account, keep_data=not delete_data, via="cli")
    kept = "deleted" if result.deleted_data else "kept"
    if result.finished:
        click.echo(f"Unlinked {label}; synced data {kept}.")
    else:
        rules = ", ".join(result.resolving)
        click.echo(
            f"Unlinking {label}: resolving the incidents of firing rules first ({rules}); a worker then "
            f"deletes the token (synced data {kept})."
        )
    for name in result.left_open:
        click.echo(f"Rule {name!r} has notify-on-resolve off: its PagerDuty incident stays open.")


@pagerduty_cli.command("reencrypt")
def reencrypt_command() -> None:
    """Re-encrypt every stored token under the first ENCRYPTION_KEYS key (after adding a new key)."""
    count = 0
    for account in db.session.scalars(select(PagerDutyAccount)):
        for column in ("access_token_enc", "refresh_token_enc", "webhook_secret_enc"):
            value = getattr(account, column)
            if value:
                try:
                    setattr(account, column, crypto.reencrypt(value))
                except crypto.DecryptionError as exc:
                    db.session.rollback()
                    raise click.ClickException(f"Account {account.id}: {exc}") from None
                count += 1
    db.session.commit()
    click.echo(f"Re-encrypted {count} secrets.")


def _account(workspace: Workspace, account_id: int | None) -> PagerDutyAccount:
    accounts = workspace_accounts(workspace.id)
    if account_id is not None:
        found = next((a for a in accounts if a.id == account_id), None)
        if found is None:
            raise click.ClickException(f"{workspace.name} has no PagerDuty account {account_id}.")
        return found
    if len(accounts) == 1:
        return accounts[0]
    if not accounts:
        raise click.ClickException(f"{workspace.name} has no linked PagerDuty account.")
    choices = ", ".join(f"{a.id} = {link.account_label(a)}" for a in accounts)
    raise click.ClickException(
        f"{workspace.name} has several PagerDuty accounts; pass --account ({choices})."
    )


# The streams an incremental run starts from; without them (and with services not backfilled) it backfills.
RESET_STREAMS = ("incidents", "log_entries", "change_events", "backfill")


@pagerduty_cli.command("sync")
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
                raise click.ClickException(f"{link.account_label(account)}: {exc}") from None
            click.echo(f"{link.account_label(account)}: {change.describe()}")
    failures = [link.account_label(a) for a in accounts if not _sync_one(a, full, wait)]
    if failures:
        raise click.ClickException(f"Sync failed: {', '.join(failures)}.")


def _sync_one(account: PagerDutyAccount, full: bool, wait: bool) -> bool:
    label = link.account_label(account)
    if account.status is not AccountStatus.ACTIVE:
        click.echo(f"{label}: not synced, the account is {account.status.value}.", err=True)
        return False
    if full:
        reset(account)
        click.echo(f"{label}: reset; the next run fetches the selected services' history again.")
    if wait:
        return _run_here(account, label)
    try:
        job = jobs.request_sync(account, trigger=SyncKind.MANUAL)
    except (RedisError, QueueNotConfigured) as exc:
        raise click.ClickException(
            f"The job queue is unreachable ({exc}); use --wait to sync here."
        ) from None
    click.echo(f"{label}: a sync is running already." if job is None else f"{label}: enqueued job {job.id}")
    return True


def _run_here(account: PagerDutyAccount, label: str) -> bool:
    outcome = runner.run(account.id, trigger=SyncKind.MANUAL)
    if outcome == "busy":
        click.echo(f"{label}: a sync is running already (by a worker); not started.", err=True)
        return False
    db.session.expire_all()
    sync_run = next(iter(runner.latest_runs(account, 1)), None)
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
