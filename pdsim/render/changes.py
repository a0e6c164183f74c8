"""Change events (API-NOTES §2.9)."""

from __future__ import annotations

import json
from typing import Any

from pdsim.render.refs import Ctx, Json


def change_event(ctx: Ctx, row: dict[str, Any]) -> Json:
    services = [s for s in row["service_ids"].split(",") if s in ctx.directory.services]
    return {
        "id": row["id"],
        "type": "change_event",
        "summary": row["summary"],
        "timestamp": ctx.ts(row["timestamp"]),
        "source": row["source"],
        "services": [
            {
                "id": s,
                "type": "service_reference",
                "summary": ctx.directory.services[s]["name"],
                "self": f"{ctx.api}/services/{s}",
                "html_url": f"{ctx.web}/service-directory/{s}",
            }
            for s in services
        ],
        "integration": {"id": row["integration_id"], "type": "inbound_integration_reference"}
        if row["integration_id"]
        else None,
        "links": json.loads(row["links"]),
        "images": [],
        "custom_details": json.loads(row["custom_details"]),
    }
