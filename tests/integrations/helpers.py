"""Helpers the link, OAuth, services, unlink and CLI tests share.

They drive the local PagerDuty (pdsim) the way a person would: Vigil's forms, then pdsim's consent page.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from app.extensions import db
from app.models import PagerDutyAccount
from pdsim.testing import RunningSim
from tests.pdsim_support import USER_TOKEN

INTEGRATION_KEY = "0123456789abcdef0123456789abcdef"
ANALYTICS = "users.read services.read teams.read incidents.read change_events.read priorities.read"


def accounts() -> list[PagerDutyAccount]:
    """Every linked PagerDuty account, as the database holds it now."""
    db.session.expire_all()
    return list(db.session.scalars(select(PagerDutyAccount)))


def text_of(html: str) -> str:
    """A page's text as a person reads it: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def start_oauth(client: FlaskClient, alert_delivery: bool = True, realtime: bool = True) -> TestResponse:
    form = {"alert_delivery": "y"} if alert_delivery else {}
    if realtime:
        form["realtime"] = "y"
    return client.post("/integrations/pagerduty/oauth/start", data=form)


def consent(
    sim: RunningSim, authorize_url: str, decision: str = "allow", untick: tuple[str, ...] = ()
) -> dict[str, str]:
    """Answer pdsim's consent page as a person would; returns the query PagerDuty redirects back with."""
    args = query_of(authorize_url)
    requested = args.get("scope", "").split()
    page = requests.get(authorize_url, timeout=10)
    assert page.status_code == 200, page.text
    form = {k: v for k, v in args.items() if k != "scope"}
    form.update({"requested_scope": " ".join(requested), "decision": decision})
    data = [*form.items(), *(("scope", s) for s in requested if s not in untick)]
    answer = requests.post(
        sim.identity_url + "/oauth/authorize", data=data, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 302, answer.text
    return query_of(answer.headers["Location"])


def callback(client: FlaskClient, params: dict[str, str]) -> TestResponse:
    return client.get("/integrations/pagerduty/oauth/callback", query_string=params)


def link_by_oauth(client: FlaskClient, sim: RunningSim, **options: Any) -> TestResponse:
    untick = options.pop("untick", ())
    started = start_oauth(client, **options)
    assert started.status_code == 302, started.get_data(as_text=True)
    return callback(client, consent(sim, started.headers["Location"], untick=untick))


def link_by_token(
    client: FlaskClient, token: str = USER_TOKEN, region: str = "", **extra: str
) -> TestResponse:
    return client.post("/integrations/pagerduty/token", data={"token": token, "region": region, **extra})
