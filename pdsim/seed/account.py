"""The seeded directory: teams, users in several time zones, escalation policies, services, priorities.

Each service carries a hidden *profile* (incident weight, log-normal parameters for time to acknowledge
and to resolve, share never acknowledged, deploy rate, share of deploys that fail) so the incidents
generated from it give Vigil's MTTA/MTTR/CFR dashboards something with shape.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field

from pdsim.config import SeedParams
from pdsim.ids import entity_id
from pdsim.seed import vocab

NOTIFY_PLANS: tuple[tuple[tuple[str, int], ...], ...] = (
    (("push", 0), ("sms", 60), ("phone", 300)),
    (("sms", 0), ("phone", 180)),
    (("push", 0), ("email", 0), ("phone", 120)),
    (("email", 0), ("sms", 60), ("push", 0)),
)
NOTIFY_PLAN_WEIGHTS = (45, 25, 15, 15)


@dataclass
class UserSeed:
    ord: int
    id: str
    name: str
    email: str
    time_zone: str
    role: str
    rules: tuple[tuple[str, int], ...]
    teams: list[int] = field(default_factory=list)


@dataclass
class TeamSeed:
    ord: int
    id: str
    name: str
    home_tz: str
    members: list[int] = field(default_factory=list)


@dataclass
class PolicySeed:
    ord: int
    id: str
    team: int
    delays: tuple[int, ...]  # seconds before escalating past each level
    levels: tuple[tuple[int, ...], ...]  # user ords per level; level 1 and 2 rotate weekly


@dataclass
class ServiceSeed:
    ord: int
    id: str
    name: str
    team: int
    policy: int
    status: str
    weight: float
    ack_mu: float
    ack_sigma: float
    res_mu: float
    res_sigma: float
    never_ack: float
    deploys_per_week: float
    fail_share: float
    low_urgency: float
    templates: tuple[int, ...]
    hot: tuple[int, ...]
    auto_resolve_timeout: int
    ack_timeout: int
    integration_id: str
    integration_key: str


@dataclass
class Account:
    account_id: str
    teams: list[TeamSeed]
    users: list[UserSeed]
    policies: list[PolicySeed]
    services: list[ServiceSeed]
    priorities: list[tuple[str, str, str]]  # (id, name, description)


def build_account(rng: random.Random, params: SeedParams) -> Account:
    taken: set[str] = set()
    account_id = entity_id(rng, taken)
    teams = [
        TeamSeed(i, entity_id(rng, taken), name, vocab.TIME_ZONES[tz])
        for i, (name, _d, tz) in enumerate(vocab.TEAMS)
    ]
    users = _users(rng, taken, teams, params.subdomain)
    policies = _policies(rng, taken, teams)
    services = _services(rng, taken)
    priorities = [(entity_id(rng, taken), name, desc) for name, desc in vocab.PRIORITIES]
    return Account(account_id, teams, users, policies, services, priorities)


def _users(rng: random.Random, taken: set[str], teams: list[TeamSeed], subdomain: str) -> list[UserSeed]:
    users: list[UserSeed] = []
    emails: set[str] = set()
    roles = ["admin"] + ["user"] * 45 + ["admin"] * 3 + ["limited_user"] * 5 + ["observer"] * 3
    roles += ["read_only_user"] * 2 + ["restricted_access"]
    for i in range(60):
        team = teams[i % len(teams)]
        # Most people live near their team; a third are elsewhere, so a page at 14:00 for the team is
        # somebody's night (the "interruptions" metric classes pages in each user's own zone).
        tz = team.home_tz if rng.random() < 0.65 else rng.choice(vocab.TIME_ZONES)
        first, last = rng.choice(vocab.FIRST_NAMES), rng.choice(vocab.LAST_NAMES)
        email = f"{first}.{last}@{subdomain}.example.com".lower()
        while email in emails:
            email = f"{first}.{last}{rng.randint(2, 99)}@{subdomain}.example.com".lower()
        emails.add(email)
        rules = rng.choices(NOTIFY_PLANS, weights=NOTIFY_PLAN_WEIGHTS)[0]
        user = UserSeed(i, entity_id(rng, taken), f"{first} {last}", email, tz, roles[i], rules, [team.ord])
        team.members.append(i)
        users.append(user)
    for user in rng.sample(users[1:], 8):  # a few people sit on two teams
        other = rng.choice([t for t in teams if t.ord not in user.teams])
        user.teams.append(other.ord)
        other.members.append(user.ord)
    return users


def _policies(rng: random.Random, taken: set[str], teams: list[TeamSeed]) -> list[PolicySeed]:
    policies = []
    for team in teams:
        members = tuple(team.members)
        delay = rng.choice((900, 1200, 1800))
        manager = (rng.choice(members),)
        policies.append(
            PolicySeed(
                team.ord, entity_id(rng, taken), team.ord, (delay, delay, 1800), (members, members, manager)
            )
        )
    return policies


def _services(rng: random.Random, taken: set[str]) -> list[ServiceSeed]:
    services = []
    for i, (team, name, weight, status) in enumerate(vocab.SERVICES):
        templates = tuple(rng.sample(range(len(vocab.TITLE_TEMPLATES)), 7))
        services.append(
            ServiceSeed(
                ord=i,
                id=entity_id(rng, taken),
                name=name,
                team=team,
                policy=team,
                status=status,
                weight=weight,
                # medians: acknowledge in 1.5-12 minutes, resolve in 20 minutes - 4 hours
                ack_mu=math.log(rng.uniform(90, 720)),
                ack_sigma=rng.uniform(0.7, 1.2),
                res_mu=math.log(rng.uniform(1200, 14400)),
                res_sigma=rng.uniform(0.8, 1.3),
                never_ack=rng.uniform(0.04, 0.17),
                deploys_per_week=round(0.5 + weight * rng.uniform(1.5, 4.0), 2),
                fail_share=rng.uniform(0.08, 0.3),
                low_urgency=rng.uniform(0.05, 0.4),
                templates=templates,
                hot=templates[:2],
                auto_resolve_timeout=rng.choice((14400, 14400, 7200, 28800)),
                ack_timeout=rng.choice((1800, 1800, 3600, 600)),
                integration_id=entity_id(rng, taken),
                integration_key=f"{rng.getrandbits(128):032x}",
            )
        )
    return services


def directory_rows(account: Account, params: SeedParams) -> dict[str, list[tuple[object, ...]]]:
    """Rows for the directory tables, in insertion order."""
    teams = [(t.ord, t.id, t.name, vocab.TEAMS[t.ord][1], t.home_tz) for t in account.teams]
    users = []
    for u in account.users:
        rules = json.dumps([[c, d] for c, d in u.rules])
        title = vocab.JOB_TITLES[u.ord % len(vocab.JOB_TITLES)]
        phone = f"+1555{u.ord:07d}"
        color = vocab.COLORS[u.ord % len(vocab.COLORS)]
        users.append((u.ord, u.id, u.name, u.email, u.time_zone, color, u.role, title, None, rules, phone))
    members = []
    for team in account.teams:
        manager = account.policies[team.ord].levels[2][0]
        for m in team.members:
            role = "manager" if m == manager else "responder"
            members.append((team.id, account.users[m].id, role))
    policies = []
    for p in account.policies:
        rules = [
            {"delay": d, "users": [account.users[u].id for u in lvl]}
            for d, lvl in zip(p.delays, p.levels, strict=True)
        ]
        name = f"{account.teams[p.team].name} Escalation Policy"
        policies.append(
            (
                p.ord,
                p.id,
                name,
                f"Pages the {account.teams[p.team].name} on-call",
                account.teams[p.team].id,
                1,
                json.dumps(rules),
            )
        )
    start = params.anchor - (params.days + 400) * 86400
    services = []
    for s in account.services:
        profile = json.dumps({"weight": s.weight, "deploys_per_week": s.deploys_per_week})
        services.append(
            (
                s.ord,
                s.id,
                s.name,
                f"{s.name} ({account.teams[s.team].name})",
                account.teams[s.team].id,
                account.policies[s.policy].id,
                s.status,
                start + s.ord * 86400 * 7,
                s.auto_resolve_timeout,
                s.ack_timeout,
                s.integration_id,
                s.integration_key,
                profile,
            )
        )
    priorities = [(i, pid, name, desc) for i, (pid, name, desc) in enumerate(account.priorities)]
    return {
        "teams": teams,
        "users": users,
        "team_members": members,
        "escalation_policies": policies,
        "services": services,
        "priorities": priorities,
    }
