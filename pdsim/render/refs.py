"""References and links (API-NOTES §0 "References vs. full objects", "`self` / `html_url` shapes").

`self` points at this pdsim (the region base the request came in on) so a client following links stays
local; `html_url` points at PagerDuty's web app for the account's subdomain and region, because Vigil
reads the subdomain from it and shows it to people as a link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from pdsim import ids
from pdsim.directory import Directory
from pdsim.timeutil import iso

Json = dict[str, Any]


def web_base(subdomain: str, region: str) -> str:
    return f"https://{subdomain}.eu.pagerduty.com" if region == "eu" else f"https://{subdomain}.pagerduty.com"


@dataclass
class Ctx:
    directory: Directory
    api: str  # REST base for `self`, e.g. http://127.0.0.1:5055 or http://127.0.0.1:5055/eu
    tz: tzinfo | None = None  # rendering zone; None means UTC with `Z`
    include: frozenset[str] = field(default_factory=frozenset)

    @property
    def web(self) -> str:
        return web_base(self.directory.subdomain, self.directory.region)

    def plain(self) -> Ctx:
        """The same context without `include[]`: objects nested in an expanded object stay references."""
        return Ctx(self.directory, self.api, self.tz)

    def ts(self, epoch: float | None) -> str | None:
        return iso(epoch, self.tz)

    def user_ref(self, uid: str) -> Json:
        user = self.directory.users[uid]
        return {
            "id": uid,
            "type": "user_reference",
            "summary": user["name"],
            "self": f"{self.api}/users/{uid}",
            "html_url": f"{self.web}/users/{uid}",
        }

    def service_ref(self, sid: str) -> Json:
        svc = self.directory.services[sid]
        return {
            "id": sid,
            "type": "service_reference",
            "summary": svc["name"],
            "self": f"{self.api}/services/{sid}",
            "html_url": f"{self.web}/service-directory/{sid}",
        }

    def team_ref(self, tid: str) -> Json:
        team = self.directory.teams[tid]
        return {
            "id": tid,
            "type": "team_reference",
            "summary": team["name"],
            "self": f"{self.api}/teams/{tid}",
            "html_url": f"{self.web}/teams/{tid}",
        }

    def policy_ref(self, pid: str) -> Json:
        pol = self.directory.policies[pid]
        return {
            "id": pid,
            "type": "escalation_policy_reference",
            "summary": pol["name"],
            "self": f"{self.api}/escalation_policies/{pid}",
            "html_url": f"{self.web}/escalation_policies/{pid}",
        }

    def priority_ref(self, pid: str | None) -> Json | None:
        if pid is None:
            return None
        return {
            "id": pid,
            "type": "priority_reference",
            "summary": self.directory.priorities[pid]["name"],
            "self": f"{self.api}/priorities/{pid}",
        }

    def integration_ref(self, sid: str) -> Json:
        svc = self.directory.services[sid]
        iid = svc["integration_id"]
        return {
            "id": iid,
            "type": "events_api_v2_inbound_integration_reference",
            "summary": "Events API v2",
            "self": f"{self.api}/services/{sid}/integrations/{iid}",
            "html_url": f"{self.web}/services/{sid}/integrations/{iid}",
        }

    def agent_ref(self, agent: str | None) -> Json | None:
        """Log entry agents are users or services (API-NOTES §2.7); the store keeps only the id."""
        if agent is None:
            return None
        if agent in self.directory.users:
            return self.user_ref(agent)
        if agent in self.directory.services:
            return self.service_ref(agent)
        return None

    def incident_ref(self, number: int, title: str) -> Json:
        iid = ids.incident_id(number)
        return {
            "id": iid,
            "type": "incident_reference",
            "summary": f"[#{number}] {title}",
            "self": f"{self.api}/incidents/{iid}",
            "html_url": f"{self.web}/incidents/{iid}",
        }

    def log_entry_ref(self, seq: int, kind: str, summary: str, number: int) -> Json:
        lid, iid = ids.log_entry_id(seq), ids.incident_id(number)
        return {
            "id": lid,
            "type": f"{kind}_log_entry_reference",
            "summary": summary,
            "self": f"{self.api}/log_entries/{lid}?incident_id={iid}",
            "html_url": f"{self.web}/incidents/{iid}/log_entries/{lid}",
        }
