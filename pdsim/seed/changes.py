"""Change events (deploys) per service, and which of them an incident followed.

A known share of deploys is made to fail: an incident on the same service is scheduled within hours of the
deploy. The ground truth (`truth_deploys`) records both that planted cause and whether *any* incident
followed within 24 h (Vigil's default CFR attribution window, DESIGN.md), for pdsim's own tests only.
"""

from __future__ import annotations

import bisect
import json
import math
import random
from dataclasses import dataclass

from pdsim.ids import change_event_id
from pdsim.seed import vocab
from pdsim.seed.account import Account
from pdsim.seed.rhythm import Rhythm
from pdsim.seed.titles import TitleMaker


@dataclass(slots=True)
class Deploy:
    timestamp: int
    services: tuple[int, ...]


def plan_deploys(rng: random.Random, account: Account, rhythm: Rhythm) -> list[Deploy]:
    deploys: list[Deploy] = []
    for svc in account.services:
        if svc.status == "disabled":
            continue
        tz = account.teams[svc.team].home_tz
        for t in rhythm.deploy_times(tz, svc.deploys_per_week):
            services = [svc.ord]
            if rng.random() < 0.04:  # a shared library release touching sibling services
                siblings = [s.ord for s in account.services if s.team == svc.team and s.ord != svc.ord]
                services += rng.sample(siblings, min(len(siblings), rng.randint(1, 2)))
            deploys.append(Deploy(t, tuple(services)))
    deploys.sort(key=lambda d: (d.timestamp, d.services))
    return deploys


def plan_failures(
    rng: random.Random, account: Account, deploys: list[Deploy], anchor: int, cap: int
) -> list[tuple[int, int, int]]:
    """(deploy index, service ord, incident time) for deploys that will be followed by an incident."""
    found = []
    for i, dep in enumerate(deploys):
        for s in dep.services:
            if rng.random() < account.services[s].fail_share:
                t = dep.timestamp + int(min(max(rng.lognormvariate(math.log(2700), 0.8), 120), 4 * 3600))
                if t <= anchor:
                    found.append((i, s, t))
    if len(found) > cap:
        rng.shuffle(found)
        found = sorted(found[:cap])
    return found


def change_rows(
    rng: random.Random, account: Account, deploys: list[Deploy], titles: TitleMaker, subdomain: str
) -> list[tuple[object, ...]]:
    rows = []
    for seq, dep in enumerate(deploys, start=1):
        svc = account.services[dep.services[0]]
        slug = titles.slug(svc.ord)
        sha = f"{rng.getrandbits(160):040x}"
        version = f"{rng.randint(1, 9)}.{rng.randint(0, 40)}.{rng.randint(0, 99)}"
        tool = rng.choice(vocab.DEPLOY_TOOLS)
        author = account.users[rng.choice(account.teams[svc.team].members)].email
        details = {
            "build_state": "passed",
            "build_number": str(rng.randint(100, 99999)),
            "run_time": f"{rng.randint(40, 1800)}s",
            "version": version,
            "commit": sha,
            "author": author,
        }
        links = [{"href": f"https://git.example.com/{subdomain}/{slug}/commit/{sha}", "text": "View commit"}]
        rows.append(
            (
                seq,
                change_event_id(rng),
                dep.timestamp,
                f"Deploy {slug} v{version} ({sha[:7]})",
                f"{tool}-{slug}",
                ",".join(account.services[s].id for s in dep.services),
                svc.integration_id,
                json.dumps(details, sort_keys=True),
                json.dumps(links),
            )
        )
    return rows


def truth_rows(
    account: Account,
    deploys: list[Deploy],
    caused: dict[tuple[int, int], int],
    incident_times: dict[int, list[tuple[int, int]]],
) -> list[tuple[object, ...]]:
    """Per (deploy, service): the planted incident, and whether any incident followed within 24 h."""
    next_deploy: dict[tuple[int, int], int] = {}
    last_seen: dict[int, int] = {}
    for i in range(len(deploys) - 1, -1, -1):
        for s in deploys[i].services:
            next_deploy[(i, s)] = last_seen.get(s, 2**62)
            last_seen[s] = deploys[i].timestamp
    rows = []
    for i, dep in enumerate(deploys):
        for s in dep.services:
            times = incident_times.get(s, [])
            j = bisect.bisect_left(times, (dep.timestamp, -1))
            window_end = min(next_deploy[(i, s)], dep.timestamp + 86400)
            followed = int(j < len(times) and times[j][0] < window_end)
            rows.append((i + 1, account.services[s].id, dep.timestamp, caused.get((i, s)), followed))
    return rows
