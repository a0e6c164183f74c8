"""PagerDuty REST API v2: the endpoints Vigil uses, with PagerDuty's errors, limits and quirks."""

from __future__ import annotations

from flask import Blueprint


def blueprint() -> Blueprint:
    """The REST blueprint with every endpoint module's routes attached."""
    from pdsim.rest import (  # noqa: F401  (importing a module registers its routes)
        changes,
        directory,
        incident_writes,
        incidents,
        log_entries,
        webhook_subscriptions,
    )
    from pdsim.rest.base import api

    return api
