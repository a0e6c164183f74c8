"""`python -m pdsim serve …` and `python -m pdsim seed …`."""

from __future__ import annotations

import argparse
import logging
import secrets
import signal
import sys
import time
from types import FrameType

from pdsim.config import REGIONS, Limits, OAuthClientSpec, Registrations, SeedParams
from pdsim.demo_responders import ResponderConfig
from pdsim.server import SimServer
from pdsim.sim import Simulator, prepare_store
from pdsim.store import Store
from pdsim.timeutil import iso, parse_anchor, start_of_utc_day

log = logging.getLogger(__name__)
DEFAULTS = {"seed": 42, "incidents": 5000, "days": 180, "region": "us", "subdomain": "acme"}


def _generation_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, help=f"RNG seed (default {DEFAULTS['seed']})")
    p.add_argument("--incidents", type=int, help=f"incidents to generate (default {DEFAULTS['incidents']})")
    p.add_argument("--days", type=int, help=f"days of history (default {DEFAULTS['days']})")
    p.add_argument("--region", choices=REGIONS, help="the account's service region (default us)")
    p.add_argument("--subdomain", help="the account's subdomain (default acme)")
    p.add_argument(
        "--anchor", help="end of the history, e.g. 2026-11-01T00:00:00Z (default: today 00:00 UTC)"
    )
    p.add_argument("--db", help="SQLite file to create or reuse (default: a temporary file)")
    p.add_argument("--log-level", default="INFO")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m pdsim", description="A faithful local PagerDuty.")
    sub = top.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="generate (or reuse) an account and serve it")
    _generation_args(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5055, help="0 picks a free port")
    serve.add_argument("--api-token", action="append", default=[], help="user-level token of the first admin")
    serve.add_argument("--account-token", action="append", default=[], help="account-level token")
    serve.add_argument("--oauth-client", action="append", default=[], help="ID:SECRET[:scoped|classic]")
    serve.add_argument("--rate-limit", type=int, default=960, help="requests per minute per credential")
    serve.add_argument("--post-incidents-limit", type=int, default=60, help="POST /incidents per minute")
    serve.add_argument("--tls", action="store_true", help="serve HTTPS with a self-signed certificate")
    serve.add_argument(
        "--responders",
        action="store_true",
        help="demo switch: people acknowledge and resolve the pages clients send",
    )
    seed = sub.add_parser("seed", help="generate an account into --db and exit")
    _generation_args(seed)
    return top


def resolve_params(args: argparse.Namespace, store: Store) -> SeedParams:
    """Explicit flags win; with none given, an existing `--db` keeps the account it already holds."""
    given = {k: getattr(args, k) for k in (*DEFAULTS, "anchor") if getattr(args, k) is not None}
    if not given and store.has_seed():
        return SeedParams.from_meta(store.meta())
    values = {**DEFAULTS, **given}
    anchor = parse_anchor(values.pop("anchor")) if "anchor" in values else start_of_utc_day(time.time())
    return SeedParams(anchor=anchor, **values)


def _serve(args: argparse.Namespace) -> int:
    store = Store(args.db)
    params = resolve_params(args, store)
    prepare_store(store, params)
    tokens = list(args.api_token)
    if not (tokens or args.account_token or args.oauth_client):
        tokens = ["pdsim-" + secrets.token_hex(8)]
    registrations = Registrations(
        tuple(tokens), tuple(args.account_token), tuple(OAuthClientSpec.parse(c) for c in args.oauth_client)
    )
    sim = Simulator(
        store,
        params,
        registrations,
        Limits(per_token=args.rate_limit, post_incidents=args.post_incidents_limit),
        responders=ResponderConfig(enabled=True, seed=params.seed) if args.responders else None,
    )
    server = SimServer(sim, args.host, args.port, tls=args.tls)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        _banner(sim, registrations, server)
        server.serve_forever()  # werkzeug returns from here on KeyboardInterrupt (Ctrl-C or SIGTERM)
    except KeyboardInterrupt:
        pass
    finally:
        log.info("stopping")
        server.httpd.server_close()
        sim.close()
    return 0


def _banner(sim: Simulator, reg: Registrations, server: SimServer) -> None:
    p = sim.params
    lines = [
        f"pdsim listening on {sim.root_url}",
        f"  account   {p.subdomain} ({p.region.upper()}), seed {p.seed}, {p.incidents} incidents over "
        f"{p.days} days "
        f"up to {iso(p.anchor)}",
        f"  REST      {sim.base_url}   (US base {sim.us_url}, EU base {sim.eu_url})",
        f"  identity  {sim.identity_url}/oauth/authorize  {sim.identity_url}/oauth/token  "
        f"{sim.identity_url}/global/oauth/anonymous/jwks",
        f"  control   {sim.root_url}/_sim/state",
        f"  admin     {sim.admin_email}",
    ]
    lines += [f"  api token (user-level, admin)  {t}" for t in reg.api_tokens]
    lines += [f"  account token                  {t}" for t in reg.account_tokens]
    lines += [f"  oauth client ({c.kind})  id {c.client_id}  secret {c.secret}" for c in reg.oauth_clients]
    if sim.responders.config.enabled:
        lines.append("  responders  on (demo switch): pages sent through POST /incidents get answered")
    if server.ca_file:
        lines.append(f"  tls cert  {server.ca_file}  (trust it as the CA)")
    print("\n".join(lines), flush=True)


def _seed(args: argparse.Namespace) -> int:
    store = Store(args.db)
    try:
        params = resolve_params(args, store)
        prepare_store(store, params, force=True)
        log.info("seeded %s into %s", params.describe(), args.db or "a temporary database (discarded)")
    finally:
        store.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return _serve(args) if args.command == "serve" else _seed(args)
    except ValueError as exc:
        log.error("%s", exc)
        return 2
