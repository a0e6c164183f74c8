"""State, reset, clock, faults, rate limits and the request log."""

from __future__ import annotations

from typing import Any

from flask import request

from pdsim.control.base import ControlError, body, control, sim
from pdsim.faults import FaultConfig
from pdsim.timeutil import parse_iso


@control.get("/state")
def state() -> Any:
    return sim().state()


@control.post("/reset")
def reset() -> Any:
    """Back to the seeded state; `{"data": false}` resets only the run-time switches (faults, clock, limits,
    token lifetimes, webhook settings) and keeps incidents, tokens and subscriptions."""
    if body().get("data", True) is False:
        sim().reset_switches()
    else:
        sim().reset()
    return sim().state()


@control.get("/clock")
def clock() -> Any:
    c = sim().clock
    return {"now": c.now(), "offset_seconds": c.offset}


@control.post("/clock")
def set_clock() -> Any:
    """`{"offset_seconds": n}`, `{"advance_seconds": n}` or `{"now": "2026-11-01T00:00:00Z"}`."""
    data = body()
    c = sim().clock
    try:
        if "now" in data:
            c.set_now(parse_iso(str(data["now"])))
        elif "advance_seconds" in data:
            c.advance(float(data["advance_seconds"]))
        elif "offset_seconds" in data:
            c.set_offset(float(data["offset_seconds"]))
        else:
            raise ControlError("give now, advance_seconds or offset_seconds")
    except ValueError as exc:
        raise ControlError(str(exc)) from None
    return {"now": c.now(), "offset_seconds": c.offset}


@control.get("/faults")
def faults() -> Any:
    return sim().faults.describe()


@control.post("/faults")
def set_faults() -> Any:
    try:
        cfg = FaultConfig.from_json(body())
    except (TypeError, ValueError) as exc:
        raise ControlError(str(exc)) from None
    sim().faults.configure(cfg)
    return sim().faults.describe()


@control.delete("/faults")
def clear_faults() -> Any:
    sim().faults.clear()
    return sim().faults.describe()


@control.get("/rate_limits")
def rate_limits() -> Any:
    lim = sim().limiter
    return {
        "per_token": lim.limits.per_token,
        "post_incidents": lim.limits.post_incidents,
        "put_incidents": lim.limits.put_incidents,
        "window_seconds": lim.limits.window_seconds,
        "bare_429_rate": lim.bare_rate,
    }


@control.post("/rate_limits")
def set_rate_limits() -> Any:
    data = body()
    names = {"per_token", "post_incidents", "put_incidents", "window_seconds"}
    unknown = set(data) - names - {"bare_429_rate", "seed", "reset"}
    if unknown:
        raise ControlError(f"unknown settings: {sorted(unknown)}")
    try:
        limits = {k: int(v) for k, v in data.items() if k in names}
        bare = float(data["bare_429_rate"]) if "bare_429_rate" in data else None
        seed = int(data["seed"]) if "seed" in data else None
    except (TypeError, ValueError) as exc:
        raise ControlError(str(exc)) from None
    sim().limiter.configure(bare_rate=bare, seed=seed, **limits)
    if data.get("reset", True):
        sim().limiter.reset()
    return rate_limits()


@control.delete("/rate_limits")
def reset_rate_limits() -> Any:
    sim().limiter.reset()
    return rate_limits()


@control.get("/requests")
def requests_log() -> Any:
    return sim().requests.describe(recent=int(request.args.get("recent", 100)))


@control.delete("/requests")
def clear_requests() -> Any:
    sim().requests.clear()
    return sim().requests.describe()
