"""The control API under `/_sim/` (never on PagerDuty's paths): what tests and demos use to steer pdsim."""

from __future__ import annotations

from flask import Blueprint


def blueprint() -> Blueprint:
    from pdsim.control import admin, credentials, responders, webhooks  # noqa: F401  (registers routes)
    from pdsim.control.base import control

    return control
