"""Users, teams, services, escalation policies, priorities, abilities (API-NOTES §2.1-2.4, §2.13)."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from pdsim.render import directory as dr
from pdsim.rest import params
from pdsim.rest.base import api, ctx, principal, sim
from pdsim.rest.errors import ApiError, not_found
from pdsim.seed.vocab import ABILITIES

USER_INCLUDES = frozenset({"contact_methods", "notification_rules", "teams", "subdomains"})
ME_INCLUDES = USER_INCLUDES | {"calendar_urls"}
SERVICE_INCLUDES = frozenset(
    {"escalation_policies", "teams", "integrations", "auto_pause_notifications_parameters"}
)

ACCOUNT_LEVEL_ME = (
    "Because this request was made using an account-level access token, we were unable to "
    "determine the user's identity. Please use a user-level token."
)


def _listing(
    key: str, items: list[Any], render: Any, default_limit: int = params.DEFAULT_LIMIT
) -> dict[str, Any]:
    pg = params.page(default_limit)
    chunk = params.slice_page(pg, items)
    return pg.envelope(key, [render(i) for i in chunk["items"]], chunk["more"], chunk["total"])


def _query_filter(names: list[tuple[str, str]]) -> list[str]:
    """`query` matches a substring of the name (case-insensitive), as PagerDuty's list filters do."""
    q = (request.args.get("query") or "").lower()
    return [ident for ident, name in names if q in name.lower()]


@api.get("/users/me")
def current_user() -> Any:
    p = principal()
    if p.kind == "oauth_user":
        p.require("users.read")  # not annotated in the SPEC; pdsim takes the stricter reading
    if p.user_id is None:
        # API-NOTES §2.1: account-level keys get a 400 whose `error` is a plain string. The behaviour for
        # app tokens (client_credentials, no user) is unknown; they are treated the same way here.
        raise ApiError(400, None, raw={"error": ACCOUNT_LEVEL_ME})
    return {"user": dr.user(ctx(params.includes(ME_INCLUDES)), p.user_id)}


@api.get("/users")
def list_users() -> Any:
    principal().require("users.read")
    c = ctx(params.includes(USER_INCLUDES))
    users = sim().directory.users
    ids = _query_filter([(u, row["name"]) for u, row in users.items()])
    teams = params.values("team_ids")
    if teams:
        ids = [u for u in ids if set(sim().directory.user_teams.get(u, [])) & set(teams)]
    return _listing("users", ids, lambda uid: dr.user(c, uid))


@api.get("/users/<user_id>")
def get_user(user_id: str) -> Any:
    principal().require("users.read")
    if user_id not in sim().directory.users:
        raise not_found("User")
    return {"user": dr.user(ctx(params.includes(USER_INCLUDES)), user_id)}


@api.get("/teams")
def list_teams() -> Any:
    principal().require("teams.read")
    c = ctx()
    ids = _query_filter([(t, row["name"]) for t, row in sim().directory.teams.items()])
    return _listing("teams", ids, lambda tid: dr.team(c, tid))


@api.get("/teams/<team_id>")
def get_team(team_id: str) -> Any:
    principal().require("teams.read")
    if team_id not in sim().directory.teams:
        raise not_found("Team")
    return {"team": dr.team(ctx(), team_id)}


@api.get("/teams/<team_id>/members")
def list_team_members(team_id: str) -> Any:
    principal().require("teams.read")
    directory = sim().directory
    if team_id not in directory.teams:
        raise not_found("Team")
    c = ctx()
    members = directory.members[team_id]
    return _listing("members", members, lambda m: {"user": c.user_ref(m[0]), "role": m[1]})


@api.get("/services")
def list_services() -> Any:
    principal().require("services.read")
    c = ctx(params.includes(SERVICE_INCLUDES), params.time_zone())
    services = sim().directory.services
    ids = _query_filter([(s, row["name"]) for s, row in services.items()])
    if request.args.get("name"):
        ids = [s for s in ids if services[s]["name"] == request.args["name"]]
    teams = params.values("team_ids")
    if teams:
        ids = [s for s in ids if services[s]["team_id"] in teams]
    sort = request.args.get("sort_by", "name")
    if sort not in ("name", "name:asc", "name:desc"):
        raise ApiError(400, 2001, "sort_by must be one of name, name:asc, name:desc")
    ids.sort(key=lambda s: services[s]["name"].lower(), reverse=sort == "name:desc")
    return _listing("services", ids, lambda sid: dr.service(c, sid))


@api.get("/services/<service_id>")
def get_service(service_id: str) -> Any:
    principal().require("services.read")
    if service_id not in sim().directory.services:
        raise not_found("Service")
    return {"service": dr.service(ctx(params.includes(SERVICE_INCLUDES), params.time_zone()), service_id)}


@api.get("/escalation_policies")
def list_escalation_policies() -> Any:
    principal().require("escalation_policies.read")
    c = ctx()
    directory = sim().directory
    ids = _query_filter([(p, row["name"]) for p, row in directory.policies.items()])
    teams = params.values("team_ids")
    if teams:
        ids = [p for p in ids if directory.policies[p]["team_id"] in teams]
    return _listing("escalation_policies", ids, lambda pid: dr.escalation_policy(c, pid))


@api.get("/escalation_policies/<policy_id>")
def get_escalation_policy(policy_id: str) -> Any:
    principal().require("escalation_policies.read")
    if policy_id not in sim().directory.policies:
        raise not_found("Escalation Policy")
    return {"escalation_policy": dr.escalation_policy(ctx(), policy_id)}


@api.get("/priorities")
def list_priorities() -> Any:
    principal().require("priorities.read")
    c = ctx()
    return _listing("priorities", list(sim().directory.priorities), lambda pid: dr.priority(c, pid))


@api.get("/abilities")
def list_abilities() -> Any:
    principal().require("abilities.read")
    return {"abilities": list(ABILITIES)}


@api.get("/abilities/<ability>")
def test_ability(ability: str) -> Any:
    """204 when the account has the ability, 402 when it does not (what `account_has_ability` probes)."""
    principal().require("abilities.read")
    if ability in ABILITIES:
        return Response(status=204)
    raise ApiError(402, 2014, f"The account does not have the {ability!r} ability")
