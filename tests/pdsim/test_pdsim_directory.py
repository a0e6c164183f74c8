"""Users, teams, services, escalation policies, priorities and abilities (API-NOTES §2.1-2.4, §2.13)."""

from __future__ import annotations

from pdsim.testing import RestSession, RunningSim


def test_it_shows_users_with_time_zones_and_team_references(api: RestSession) -> None:
    users = api.get("/users", params={"limit": 100}).json()["users"]
    assert len(users) == 60 and len({u["time_zone"] for u in users}) >= 5
    first = users[0]
    assert first["type"] == "user" and first["teams"][0]["type"] == "team_reference"
    assert first["contact_methods"][0]["type"].endswith("_contact_method_reference")
    assert first["html_url"] == f"https://acme.pagerduty.com/users/{first['id']}"


def test_it_expands_user_teams_and_contact_methods_with_include(api: RestSession) -> None:
    user = api.get("/users", params={"include[]": ["teams", "contact_methods"], "limit": 1}).json()["users"][
        0
    ]
    assert user["teams"][0]["type"] == "team" and user["teams"][0]["name"]
    assert user["contact_methods"][0]["address"]


def test_it_filters_users_by_query_and_team(sim: RunningSim, api: RestSession) -> None:
    admin = sim.store.users()[0]
    last = admin["name"].split()[-1]
    found = api.get("/users", params={"query": last.lower()}).json()["users"]
    assert admin["id"] in {u["id"] for u in found} and all(last in u["name"] for u in found)
    team = api.get("/teams").json()["teams"][0]["id"]
    members = api.get("/users", params={"team_ids[]": team, "limit": 100}).json()["users"]
    assert members and all(team in {t["id"] for t in u["teams"]} for u in members)


def test_it_lists_team_members_with_roles(api: RestSession) -> None:
    team = api.get("/teams").json()["teams"][0]
    body = api.get(f"/teams/{team['id']}/members", params={"limit": 100}).json()
    assert body["members"] and {m["role"] for m in body["members"]} == {"manager", "responder"}
    assert all(m["user"]["type"] == "user_reference" for m in body["members"])
    assert api.get("/teams/PNOPE00/members").status_code == 404


def test_it_sorts_and_filters_services(sim: RunningSim, api: RestSession) -> None:
    services = api.get("/services", params={"limit": 100}).json()["services"]
    names = [s["name"] for s in services]
    assert names == sorted(names, key=str.lower) and len(services) == 25
    assert [
        s["name"]
        for s in api.get("/services", params={"limit": 100, "sort_by": "name:desc"}).json()["services"]
    ] == names[::-1]
    assert api.get("/services", params={"name": names[3]}).json()["services"][0]["name"] == names[3]
    team = services[0]["teams"][0]["id"]
    assert {
        s["teams"][0]["id"] for s in api.get("/services", params={"team_ids[]": team}).json()["services"]
    } == {team}
    assert {s["status"] for s in services} >= {"active", "disabled", "maintenance"}
    assert api.get("/services", params={"sort_by": "created_at"}).status_code == 400


def test_it_expands_service_policy_teams_and_integrations(api: RestSession) -> None:
    service = api.get(
        "/services", params={"include[]": ["escalation_policies", "teams", "integrations"]}
    ).json()["services"][0]
    assert service["escalation_policy"]["type"] == "escalation_policy"
    assert service["teams"][0]["type"] == "team"
    assert service["integrations"][0]["integration_key"]


def test_it_lists_escalation_policies_priorities_and_abilities(api: RestSession) -> None:
    policies = api.get("/escalation_policies").json()["escalation_policies"]
    assert len(policies) == 8 and all(len(p["escalation_rules"]) == 3 for p in policies)
    priorities = api.get("/priorities").json()["priorities"]
    assert [p["name"] for p in priorities] == ["P1", "P2", "P3", "P4", "P5"]
    abilities = api.get("/abilities").json()["abilities"]
    assert {"teams", "urgencies"} <= set(abilities)
    assert api.get("/abilities/teams").status_code == 204
    assert api.get("/abilities/nonexistent").status_code == 402
