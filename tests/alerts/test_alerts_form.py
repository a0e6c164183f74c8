"""The rule form: create and edit through it, its errors (nothing saved), and its HTMX helpers."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import AlertRule, PagerDutyAccount, PDService
from pdsim.testing import RunningSim
from tests.alerts.ui_helpers import link_pdsim, rule_count
from tests.factories import Personas


@pytest.fixture
def account(personas: Personas, sim: RunningSim) -> PagerDutyAccount:
    return link_pdsim(personas.workspace, sim)


@pytest.fixture
def admin(login_as, personas: Personas, account: PagerDutyAccount) -> FlaskClient:
    return login_as(personas.admin.email)


def pushed_form(pd_service: PDService, **fields: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "name": "Queue too deep",
        "signal": "pushed",
        "metric": "queue.depth",
        "aggregation": "avg",
        "labels": "",
        "no_data": "ok",
        "window_minutes": "5",
        "operator": ">",
        "threshold": "100",
        "for_minutes": "0",
        "severity": "critical",
        "targets-0-account": str(pd_service.account_id),
        "targets-0-service": pd_service.remote_id,
        "targets-0-urgency": "",
        "targets-1-account": str(pd_service.account_id),  # the empty "add another" row
        "targets-1-service": "",
        "notify_on_resolve": "1",
        "enabled": "1",
        "title_template": "",
    }
    form.update(fields)
    return {k: v for k, v in form.items() if v is not None}


def only_rule() -> AlertRule:
    db.session.expire_all()
    return db.session.scalars(select(AlertRule)).one()


def test_the_new_form_shows_defaults_placeholders_and_the_accounts_services(
    admin: FlaskClient, pd_service: PDService
) -> None:
    page = admin.get("/alerts/new").text
    assert 'name="csrf_token"' in page
    assert "Incident metric" in page and "MTTA (mean time to acknowledge)" in page
    assert "error (pages with high urgency)" in page and "From severity</option>" in page
    assert "{rule}" in page and "{value}" in page and "{threshold}" in page
    assert 'name="notify_on_resolve" value="1" checked' in page
    # One account: its services are already in the first row's picker.
    assert f'<option value="{pd_service.remote_id}"' in page


def test_it_creates_a_pushed_rule_from_the_form(admin: FlaskClient, pd_service: PDService) -> None:
    form = pushed_form(
        pd_service,
        labels="env=prod\n\n region = eu \n",
        aggregation="max",
        no_data="alert",
        window_minutes="10",
        for_minutes="2.5",
        **{"targets-0-urgency": "low"},
    )
    response = admin.post("/alerts/new", data=form)
    rule = only_rule()
    assert response.status_code == 302 and response.headers["Location"] == f"/alerts/{rule.id}"
    assert (rule.signal, rule.metric, rule.aggregation, rule.no_data) == (
        "pushed",
        "queue.depth",
        "max",
        "alert",
    )
    assert rule.labels == {"env": "prod", "region": "eu"}
    assert (rule.window_seconds, rule.for_seconds, rule.threshold) == (600, 150, 100.0)
    assert (rule.notify_on_resolve, rule.enabled, rule.muted) == (True, True, False)
    [target] = rule.targets
    assert (target.service_remote_id, target.service_name, target.urgency) == (
        pd_service.remote_id,
        pd_service.name,
        "low",
    )
    page = admin.get(f"/alerts/{rule.id}").text
    assert "Rule “\u2068Queue too deep\u2069” created." in page
    assert "max(queue.depth{env=prod,region=eu}) &gt; 100 over 10 min, for 150 s; no data fires" in page


def test_it_creates_an_incident_rule_with_filters(
    admin: FlaskClient, pd_service: PDService, account: PagerDutyAccount
) -> None:
    form = pushed_form(
        pd_service,
        signal="incident",
        metric="mttr",
        aggregation=None,
        labels=None,
        services=[pd_service.remote_id],
        urgencies=["high"],
        window_minutes="1440",
        threshold="30",
        severity="warning",
        notify_on_resolve=None,  # unchecked
    )
    assert admin.post("/alerts/new", data=form).status_code == 302
    rule = only_rule()
    assert (rule.signal, rule.metric, rule.window_seconds) == ("incident", "mttr", 86400)
    assert rule.filters == {"services": [pd_service.id], "urgencies": ["high"]}
    assert rule.notify_on_resolve is False
    assert rule.aggregation is None and rule.labels == {}


def test_it_shows_each_error_next_to_its_field_and_saves_nothing(
    admin: FlaskClient, pd_service: PDService
) -> None:
    form = pushed_form(
        pd_service, name="", threshold="lots", window_minutes="soon", labels="env prod", metric="9lives"
    )
    response = admin.post("/alerts/new", data=form)
    assert response.status_code == 422
    page = response.text
    assert "The rule was not saved." in page
    for message in (
        "Name is required.",
        "Threshold must be a number.",
        "Enter a number of minutes.",
        "Line 1: write each label as key=value.",
        "Metric must be a pushed metric name",
    ):
        assert f'<div class="field-error" role="alert">{message}' in page, message
    # What was typed comes back, so nothing has to be entered again.
    assert 'value="lots"' in page and "env prod</textarea>" in page
    assert rule_count() == 0


def test_an_enabled_rule_needs_a_service_to_page_and_a_disabled_one_may_wait(
    admin: FlaskClient, pd_service: PDService
) -> None:
    nowhere = pushed_form(pd_service, **{"targets-0-service": ""})
    response = admin.post("/alerts/new", data=nowhere)
    assert response.status_code == 422
    assert "Choose at least one service to page, or save the rule disabled." in response.text
    assert rule_count() == 0
    later = {key: value for key, value in nowhere.items() if key != "enabled"}  # the box unticked
    assert admin.post("/alerts/new", data=later).status_code == 302
    assert rule_count() == 1


def test_it_says_windows_in_minutes(admin: FlaskClient, pd_service: PDService) -> None:
    response = admin.post("/alerts/new", data=pushed_form(pd_service, window_minutes="100000"))
    assert response.status_code == 422
    assert "Enter between 1 and 43200 minutes." in response.text
    assert rule_count() == 0


def test_it_refuses_a_service_in_maintenance_with_the_reason(
    admin: FlaskClient, pd_service: PDService, sim: RunningSim
) -> None:
    sim.control.set_service_status(pd_service.remote_id, "maintenance")
    response = admin.post("/alerts/new", data=pushed_form(pd_service))
    assert response.status_code == 422
    message = f"{pd_service.name} is in maintenance in PagerDuty: it would create no incident."
    assert f'<div class="field-error" role="alert">{message}</div>' in response.text
    assert rule_count() == 0


def test_it_refuses_an_account_of_another_workspace(
    admin: FlaskClient, pd_service: PDService, personas: Personas, sim: RunningSim
) -> None:
    other = link_pdsim(personas.other_workspace, sim)
    response = admin.post("/alerts/new", data=pushed_form(pd_service, **{"targets-0-account": str(other.id)}))
    assert response.status_code == 422
    assert "Account must be a linked PagerDuty account of this workspace." in response.text
    assert rule_count() == 0


def test_the_signal_select_swaps_in_that_signals_fields(admin: FlaskClient) -> None:
    pushed = admin.get("/alerts/form/signal?signal=pushed", headers={"HX-Request": "true"}).text
    assert pushed.lstrip().startswith('<div id="signal-fields"')
    assert 'name="aggregation"' in pushed and 'name="labels"' in pushed
    assert "Fire (a heartbeat: alert when points stop)" in pushed
    assert "MTTA" not in pushed and "<html" not in pushed
    incident = admin.get("/alerts/form/signal?signal=incident", headers={"HX-Request": "true"}).text
    assert 'data-picker-title="Services"' in incident and 'name="urgencies"' in incident
    assert "MTTA (mean time to acknowledge)" in incident and 'name="aggregation"' not in incident


def test_choosing_an_account_loads_its_services_marking_those_that_cannot_page(
    admin: FlaskClient, account: PagerDutyAccount, personas: Personas, sim: RunningSim
) -> None:
    services = db.session.scalars(select(PDService).where(PDService.account_id == account.id)).all()
    services[0].status = "maintenance"
    services[1].status = "disabled"
    db.session.commit()
    other = link_pdsim(personas.other_workspace, sim)
    response = admin.get(f"/alerts/form/services?index=1&targets-1-account={account.id}")
    page = response.text
    assert page.lstrip().startswith('<div id="target-service-1"')
    assert 'name="targets-1-service"' in page
    assert page.count('<option value="P') == len(services)
    assert f"{services[0].name} — maintenance: creates no incidents" in page
    assert f"{services[1].name} — disabled: creates no incidents" in page
    assert f"{services[2].name}</option>" in page
    # Another workspace's account lists nothing of its directory here.
    leaked = admin.get(f"/alerts/form/services?index=0&targets-0-account={other.id}").text
    assert '<option value="P' not in leaked


def test_preview_shows_the_value_with_its_unit_and_whether_it_would_fire(
    admin: FlaskClient, pd_service: PDService, push
) -> None:
    push(150)
    push(250)
    firing = admin.post("/alerts/form/preview", data=pushed_form(pd_service), headers={"HX-Request": "true"})
    assert firing.text.lstrip().startswith('<div id="preview"')
    assert '<strong class="alert-preview-value">200</strong>' in firing.text
    assert "would fire now" in firing.text
    calm = admin.post("/alerts/form/preview", data=pushed_form(pd_service, threshold="500", name=""))
    assert '<strong class="alert-preview-value">200</strong>' in calm.text
    assert "would not fire" in calm.text
    incidents = admin.post(
        "/alerts/form/preview",
        data=pushed_form(pd_service, signal="incident", metric="incident_count", threshold="5"),
    )
    assert '<strong class="alert-preview-value">0 incidents</strong>' in incidents.text
    assert rule_count() == 0


def test_preview_of_a_silent_heartbeat_would_fire(admin: FlaskClient, pd_service: PDService) -> None:
    form = pushed_form(pd_service, metric="worker.heartbeat", no_data="alert")
    page = admin.post("/alerts/form/preview", data=form).text
    assert '<strong class="alert-preview-value">no data</strong>' in page
    assert "would fire now" in page


def test_preview_says_what_to_fix(admin: FlaskClient, pd_service: PDService) -> None:
    page = admin.post("/alerts/form/preview", data=pushed_form(pd_service, threshold="")).text
    assert "Cannot preview yet: Threshold must be a number." in page


def test_the_form_works_without_javascript(admin: FlaskClient, pd_service: PDService, push) -> None:
    refreshed = admin.post("/alerts/new", data=pushed_form(pd_service, action="refresh", signal="incident"))
    assert refreshed.status_code == 200
    assert "MTTA (mean time to acknowledge)" in refreshed.text and 'name="aggregation"' not in refreshed.text
    push(150)
    previewed = admin.post("/alerts/new", data=pushed_form(pd_service, action="preview"))
    assert previewed.status_code == 200
    assert '<strong class="alert-preview-value">150</strong>' in previewed.text
    assert rule_count() == 0


def test_it_edits_a_rule_through_the_same_form(admin: FlaskClient, pd_service: PDService, make_rule) -> None:
    rule = make_rule(labels={"env": "prod"}, for_seconds=120)
    page = admin.get(f"/alerts/{rule.id}/edit").text
    assert 'name="window_minutes" value="5"' in page and 'name="for_minutes" value="2"' in page
    assert 'name="threshold" value="100"' in page and "env=prod</textarea>" in page
    assert f'<option value="{pd_service.remote_id}" selected>' in page
    form = pushed_form(pd_service, threshold="250", window_minutes="15", muted="1", labels="env=staging")
    response = admin.post(f"/alerts/{rule.id}/edit", data=form)
    assert response.status_code == 302
    db.session.expire_all()
    assert (rule.threshold, rule.window_seconds, rule.muted, rule.labels) == (
        250.0,
        900,
        True,
        {"env": "staging"},
    )
    bad = admin.post(f"/alerts/{rule.id}/edit", data=pushed_form(pd_service, threshold="x"))
    assert bad.status_code == 422
    db.session.expire_all()
    assert rule.threshold == 250.0


def test_add_another_service_gives_a_new_row_without_saving(
    admin: FlaskClient, pd_service: PDService
) -> None:
    form = pushed_form(pd_service, action="refresh", **{"targets-1-service": pd_service.remote_id})
    page = admin.post("/alerts/new", data=form).text
    assert 'name="targets-2-account"' in page  # both filled rows kept, and a third, empty one
    assert page.count(f'<option value="{pd_service.remote_id}" selected>') == 2
    assert "Add another service" in page
    assert rule_count() == 0


def test_the_incident_filters_are_ticked_checkboxes(admin: FlaskClient, pd_service: PDService) -> None:
    form = pushed_form(
        pd_service, action="refresh", signal="incident", metric="mttr", services=[pd_service.remote_id]
    )
    page = admin.post("/alerts/new", data=form).text
    assert f'<input type="checkbox" name="services" value="{pd_service.remote_id}" checked>' in page
    assert "Services: 1 chosen" in page and '<select id="services"' not in page
