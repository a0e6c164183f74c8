"""The audit trail of admin actions, written in the same transaction as the action itself."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context, request
from flask_login import current_user

from app.extensions import db
from app.models import AuditEvent, Workspace

# AuditEvent.target's size. A longer target (an invitation to a 254-character address, a long rule name) is
# cut with a marker for the log's column and kept whole in the details, so the action is still recorded.
MAX_TARGET_LENGTH = 200


def record(workspace: Workspace, action: str, target: str = "", **details: Any) -> AuditEvent:
    if len(target) > MAX_TARGET_LENGTH:
        details = {**details, "target": target}
        target = target[: MAX_TARGET_LENGTH - 1] + "…"
    actor_id = None
    ip = None
    if has_request_context():
        ip = request.remote_addr
        if current_user.is_authenticated:
            actor_id = current_user.id
        elif g.get("api_key") is not None:
            # An action through the API: the key is who did it (the log names it, not "Vigil").
            details = {**details, "api_key": f"{g.api_key.name} ({g.api_key.prefix}…)"}
    event = AuditEvent(
        workspace_id=workspace.id, actor_id=actor_id, action=action, target=target, details=details, ip=ip
    )
    db.session.add(event)
    return event
