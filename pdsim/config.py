"""The arguments that fully determine a seeded account, and the start-up registrations of a server."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from pdsim.timeutil import iso

REGIONS = ("us", "eu")


@dataclass(frozen=True)
class SeedParams:
    """Generated data depends on these and nothing else (same values → byte-identical rows)."""

    seed: int = 42
    incidents: int = 5000
    days: int = 180
    region: str = "us"
    subdomain: str = "acme"
    anchor: int = 0  # epoch seconds: the end of the generated history

    def __post_init__(self) -> None:
        if self.region not in REGIONS:
            raise ValueError(f"region must be one of {REGIONS}, not {self.region!r}")
        if self.incidents < 0 or self.days < 1:
            raise ValueError("incidents must be >= 0 and days >= 1")
        if not self.subdomain.isascii() or not self.subdomain.replace("-", "").isalnum():
            raise ValueError(f"subdomain {self.subdomain!r} must be letters, digits and dashes")

    def to_meta(self) -> dict[str, str]:
        return {k: str(v) for k, v in asdict(self).items()}

    @classmethod
    def from_meta(cls, meta: dict[str, str]) -> SeedParams:
        return cls(
            seed=int(meta["seed"]),
            incidents=int(meta["incidents"]),
            days=int(meta["days"]),
            region=meta["region"],
            subdomain=meta["subdomain"],
            anchor=int(meta["anchor"]),
        )

    def describe(self) -> str:
        return json.dumps({**asdict(self), "anchor": iso(self.anchor)})


@dataclass(frozen=True)
class OAuthClientSpec:
    client_id: str
    secret: str | None
    kind: str = "scoped"  # "scoped" or "classic"
    redirect_uris: tuple[str, ...] = ()
    name: str = "Vigil"

    @classmethod
    def parse(cls, text: str) -> OAuthClientSpec:
        """`ID:SECRET` (scoped) or `ID:SECRET:classic`; an empty SECRET makes a public classic client."""
        parts = text.split(":")
        if len(parts) < 2 or not parts[0]:
            raise ValueError(f"--oauth-client wants ID:SECRET[:scoped|classic], got {text!r}")
        kind = parts[2] if len(parts) > 2 else "scoped"
        if kind not in ("scoped", "classic"):
            raise ValueError(f"OAuth client kind must be scoped or classic, got {kind!r}")
        if kind == "scoped" and not parts[1]:
            raise ValueError("scoped OAuth clients are confidential: give ID:SECRET")
        return cls(client_id=parts[0], secret=parts[1] or None, kind=kind)


@dataclass(frozen=True)
class Registrations:
    """Tokens and clients a server registers at start; a reset brings exactly these back."""

    api_tokens: tuple[str, ...] = ()
    account_tokens: tuple[str, ...] = ()
    oauth_clients: tuple[OAuthClientSpec, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Limits:
    """Rate limits (API-NOTES §4); the numbers for operation limits are not published, see docs/pdsim.md."""

    per_token: int = 960
    post_incidents: int = 60
    put_incidents: int = 500
    window_seconds: int = 60
