"""An in-memory snapshot of the small, rarely changing tables (teams, users, services, policies, priorities).

Rendering a page of 100 incidents touches dozens of references; reading them from this snapshot instead of
SQLite keeps list endpoints fast on a million-incident account. The snapshot is reloaded after a reset or a
service status change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pdsim.store import Store

Row = dict[str, Any]
WEEK = 7 * 86400


@dataclass(frozen=True)
class Directory:
    account_id: str
    subdomain: str
    region: str
    account_tz: str
    teams: dict[str, Row]
    users: dict[str, Row]
    users_by_email: dict[str, Row]
    services: dict[str, Row]
    policies: dict[str, Row]
    priorities: dict[str, Row]
    members: dict[str, list[tuple[str, str]]]  # team id → [(user id, role)]
    user_teams: dict[str, list[str]]  # user id → [team id]
    last_incident: dict[str, int]  # service id → last incident creation time

    @classmethod
    def load(cls, store: Store) -> Directory:
        meta = store.meta()
        with store.read() as conn:
            teams = {r["id"]: dict(r) for r in conn.execute("SELECT * FROM teams ORDER BY ord")}
            users = {r["id"]: dict(r) for r in conn.execute("SELECT * FROM users ORDER BY ord")}
            services = {r["id"]: dict(r) for r in conn.execute("SELECT * FROM services ORDER BY ord")}
            policies = {
                r["id"]: dict(r) for r in conn.execute("SELECT * FROM escalation_policies ORDER BY ord")
            }
            priorities = {r["id"]: dict(r) for r in conn.execute("SELECT * FROM priorities ORDER BY ord")}
            members: dict[str, list[tuple[str, str]]] = {t: [] for t in teams}
            user_teams: dict[str, list[str]] = {u: [] for u in users}
            order = "SELECT m.* FROM team_members m JOIN users u ON u.id = m.user_id ORDER BY u.ord"
            for r in conn.execute(order):
                members[r["team_id"]].append((r["user_id"], r["role"]))
                user_teams[r["user_id"]].append(r["team_id"])
            last = {
                sid: conn.execute(
                    "SELECT max(created_at) FROM incidents WHERE service_id = ?", (sid,)
                ).fetchone()[0]
                for sid in services
            }
        for p in policies.values():
            p["rules"] = json.loads(p["rules"])
        for u in users.values():
            u["rules"] = json.loads(u["rules"])
        return cls(
            account_id=meta["account_id"],
            subdomain=meta["subdomain"],
            region=meta["region"],
            account_tz=meta["account_time_zone"],
            teams=teams,
            users=users,
            users_by_email={u["email"].lower(): u for u in users.values()},
            services=services,
            policies=policies,
            priorities=priorities,
            members=members,
            user_teams=user_teams,
            last_incident={k: v for k, v in last.items() if v is not None},
        )

    @property
    def admin(self) -> Row:
        """The account's first admin user: API tokens given on the command line act as this user."""
        return next(u for u in self.users.values() if u["role"] in ("admin", "owner"))

    def on_call(self, policy_id: str, level: int, now: int) -> str:
        """Who is on call at `level` (1-based) now: levels 1 and 2 rotate weekly, as in the seed."""
        rules = self.policies[policy_id]["rules"]
        members = rules[min(level, len(rules)) - 1]["users"]
        week = now // WEEK + (1 if level == 2 else 0)
        return str(members[week % len(members)])

    def service_team_ids(self, service_id: str) -> list[str]:
        return [self.services[service_id]["team_id"]]
