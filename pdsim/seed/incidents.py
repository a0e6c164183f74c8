"""One incident's life: trigger, pages, escalations, acknowledgement, reassignment, resolution, reopening.

The timeline is generated as events, cut at the anchor (the end of history), then replayed to derive the
incident's final state, so the incident row always agrees with its log entries: `acknowledgements` and
`assignments` are empty once resolved, `resolved_at` is the final resolve, MTTA can be read from the first
acknowledge entry and MTTR from `resolved_at` (DESIGN.md metric table; API-NOTES §2.5).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from pdsim.ids import incident_id
from pdsim.seed.account import Account
from pdsim.seed.titles import TitleMaker

USER_CHANNELS = ("website", "website", "website", "sms", "sms", "email", "api")
PRIORITY_WEIGHTS = (3, 10, 35, 30, 22)
WEEK = 7 * 86400

# An event: (time, type, agent, channel, notified user, assignee, note, escalation level)
Event = tuple[int, str, str | None, str, str | None, str | None, str | None, int]


@dataclass(slots=True)
class IncidentSpec:
    created: int
    service: int
    template: int
    caused_by: tuple[int, int] | None = None  # (deploy index, service ord) when planted after a deploy
    force_open: str | None = None  # "triggered" / "acknowledged": keep a few incidents open at the anchor


class IncidentFactory:
    def __init__(self, rng: random.Random, account: Account, anchor: int, titles: TitleMaker) -> None:
        self.rng = rng
        self.account = account
        self.anchor = anchor
        self.titles = titles
        self.incidents: list[tuple[object, ...]] = []
        self.entries: list[tuple[object, ...]] = []
        self.seq = 0
        self._user_ids = [u.id for u in account.users]
        self._rules = {u.id: u.rules for u in account.users}
        self._priority_ids = [p[0] for p in account.priorities]

    def _level_users(self, policy: int, created: int) -> tuple[str, str, str]:
        pol = self.account.policies[policy]
        week = created // WEEK
        primary, secondary, manager = pol.levels
        return (
            self._user_ids[primary[week % len(primary)]],
            self._user_ids[secondary[(week + 1) % len(secondary)]],
            self._user_ids[manager[0]],
        )

    def make(self, number: int, spec: IncidentSpec) -> None:
        rng = self.rng
        svc = self.account.services[spec.service]
        pol = self.account.policies[svc.policy]
        created = spec.created
        levels = self._level_users(svc.policy, created)
        delays = pol.delays
        rules = self._rules
        lognorm = rng.lognormvariate
        events: list[Event] = []

        def notify(uid: str, start: int, stop: int) -> None:
            for channel, delay in rules[uid]:
                if start + delay < stop:
                    events.append((start + delay, "notify", svc.id, channel, uid, None, None, 0))

        def escalate_until(start: int, stop: int, level: int) -> tuple[int, int]:
            """Walk up the policy while nobody acknowledges; returns (level, when it was reached)."""
            t = start
            while True:
                nxt = t + delays[level]
                notify(levels[level], t, min(nxt, stop))
                if nxt >= stop or level >= 2:
                    return level, t
                level += 1
                t = nxt
                events.append((t, "escalate", svc.id, "timeout", None, levels[level], None, level + 1))

        roll = rng.random()
        if roll < 0.92:
            trigger_agent, trigger_channel, alerts = svc.id, "api", 1
        elif roll < 0.97:
            trigger_agent, trigger_channel, alerts = svc.id, "email", 1
        else:
            team = self.account.teams[svc.team]
            trigger_agent, trigger_channel, alerts = (
                self._user_ids[rng.choice(team.members)],
                "web_trigger",
                0,
            )
        events.append((created, "trigger", trigger_agent, trigger_channel, None, None, None, 1))
        never_ack = spec.force_open == "triggered" or (
            spec.force_open is None and rng.random() < svc.never_ack
        )
        far = self.anchor + 30 * 86400
        if never_ack:
            if spec.force_open:
                end, channel = far, "timeout"
            elif rng.random() < 0.5:
                end, channel = created + svc.auto_resolve_timeout, "timeout"
            else:
                end = created + int(
                    min(max(lognorm(svc.res_mu - 0.7, svc.res_sigma), 120), svc.auto_resolve_timeout)
                )
                channel = "auto"
            escalate_until(created, end, 0)
            events.append((end, "resolve", svc.id, channel, None, None, None, 0))
        else:
            ack = created + int(min(max(lognorm(svc.ack_mu, svc.ack_sigma), 20), 6 * 3600))
            level, _ = escalate_until(created, ack, 0)
            acker = levels[level]
            events.append((ack, "acknowledge", acker, rng.choice(USER_CHANNELS), None, None, None, 0))
            t = ack
            roll = rng.random()
            if roll < 0.08:  # reassigned to a teammate, who acknowledges in turn
                t += rng.randint(120, 1800)
                team = self.account.teams[svc.team]
                new = self._user_ids[rng.choice(team.members)]
                if new == acker:
                    new = levels[(level + 1) % 3]
                events.append((t, "assign", acker, "website", None, new, None, level + 1))
                t2 = t + int(min(max(lognorm(svc.ack_mu - 0.3, svc.ack_sigma), 20), 3600))
                notify(new, t, t2)
                events.append((t2, "acknowledge", new, rng.choice(USER_CHANNELS), None, None, None, 0))
                acker, t = new, t2
            elif roll < 0.12 and level < 2:  # escalated by hand to the next level
                t += rng.randint(300, 2400)
                level += 1
                up = levels[level]
                events.append((t, "escalate", acker, "website", None, up, None, level + 1))
                t2 = t + int(min(max(lognorm(svc.ack_mu - 0.3, svc.ack_sigma), 20), 3600))
                notify(up, t, t2)
                events.append((t2, "acknowledge", up, rng.choice(USER_CHANNELS), None, None, None, 0))
                acker, t = up, t2
            res = t + int(min(max(lognorm(svc.res_mu, svc.res_sigma), 60), 3 * 86400))
            if spec.force_open:
                res = far
            if rng.random() < 0.15:  # the monitor recovered and its integration resolved the incident
                events.append((res, "resolve", svc.id, "auto", None, None, None, 0))
            else:
                note = "Rolled back the last deploy" if rng.random() < 0.1 else None
                events.append(
                    (res, "resolve", acker, rng.choice(("website", "website", "api")), None, None, note, 0)
                )
            if spec.force_open is None and rng.random() < 0.03:  # reopened by a person, then closed again
                t = res + rng.randint(600, 8 * 3600)
                events.append(
                    (t, "trigger", acker, "website", None, None, "Reopened: the problem came back", 1)
                )
                ack2 = t + int(min(max(lognorm(svc.ack_mu, svc.ack_sigma), 20), 3600))
                notify(levels[0], t, ack2)
                events.append(
                    (ack2, "acknowledge", levels[0], rng.choice(USER_CHANNELS), None, None, None, 0)
                )
                res2 = ack2 + int(min(max(lognorm(svc.res_mu - 0.5, svc.res_sigma), 60), 86400))
                events.append((res2, "resolve", levels[0], "website", None, None, None, 0))
        self._store(number, spec, svc.id, events, levels[0], alerts)

    def _store(
        self,
        number: int,
        spec: IncidentSpec,
        service_id: str,
        events: list[Event],
        first_assignee: str,
        alerts: int,
    ) -> None:
        rng = self.rng
        svc = self.account.services[spec.service]
        anchor = self.anchor
        events = sorted((e for e in events if e[0] <= anchor), key=lambda e: e[0])
        status, resolved_at, reopened_at, level = "triggered", None, None, 1
        assigns: list[tuple[str, int]] = []
        acks: list[tuple[str, int]] = []
        lsc_at, lsc_by = spec.created, events[0][2]
        first_seq = self.seq + 1
        append = self.entries.append
        for t, kind, agent, channel, user, assignee, note, lvl in events:
            self.seq += 1
            append((self.seq, number, kind, t, agent, channel, user, assignee, note, None))
            if kind == "trigger":
                if t != spec.created:
                    reopened_at, resolved_at = t, None
                status, acks, assigns, level = "triggered", [], [(first_assignee, t)], 1
                lsc_at, lsc_by = t, agent
            elif kind in ("escalate", "assign"):
                assigns, level = [(assignee or "", t)], lvl
                if status == "acknowledged":  # a new assignee must acknowledge afresh
                    status, acks = "triggered", []
            elif kind == "acknowledge":
                status, acks = "acknowledged", [(agent or "", t)]
                lsc_at, lsc_by = t, agent
            elif kind == "resolve":
                status, resolved_at, assigns, acks = "resolved", t, [], []
                lsc_at, lsc_by = t, agent
        updated = events[-1][0]
        urgency = "low" if rng.random() < svc.low_urgency else "high"
        priority = (
            rng.choices(self._priority_ids, weights=PRIORITY_WEIGHTS)[0] if rng.random() < 0.35 else None
        )
        key = f"{rng.getrandbits(128):032x}" if rng.random() < 0.55 else None
        title = self.titles.title(spec.template, spec.service)
        team_id = self.account.teams[svc.team].id
        policy_id = self.account.policies[svc.policy].id
        self.incidents.append(
            (
                number,
                incident_id(number),
                title,
                service_id,
                team_id,
                policy_id,
                status,
                urgency,
                priority,
                key,
                spec.created,
                updated,
                resolved_at,
                lsc_at,
                lsc_by,
                "escalation_policy",
                level,
                ";".join(f"{u}@{t}" for u, t in assigns),
                ";".join(f"{a}@{t}" for a, t in acks),
                first_seq,
                reopened_at,
                alerts,
                None,
                "seed",
                None,
            )
        )
