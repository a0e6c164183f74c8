"""The workspace's delivery log: every page Vigil sent or tried to send, failures first."""

from __future__ import annotations

from flask import request
from werkzeug.wrappers import Response

from app.accounts.context import current_workspace, member_required
from app.alerts import bp, queries
from app.inputs import parse_int
from app.models import DeliveryStatus
from app.web import page_or_partial


@bp.get("/alerts/deliveries")
@member_required
def deliveries() -> tuple[str, int] | Response:
    raw_status = request.args.get("status", "")
    status = DeliveryStatus(raw_status) if raw_status in DeliveryStatus.__members__.values() else None
    raw_page = request.args.get("page", "1")
    page = parse_int(raw_page, minimum=1, maximum=999_999) or 1
    log = queries.delivery_log(current_workspace(), status, page)
    return page_or_partial(
        "alerts/deliveries.html",
        "alerts/_delivery_log.html",
        log=log,
        status_filter=status,
        statuses=list(DeliveryStatus),
    )
