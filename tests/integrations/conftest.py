"""Integration tests run Vigil against pdsim (the local PagerDuty), so none of them can reach the real one."""

from __future__ import annotations

import pytest

from pdsim.testing import RunningSim
from tests.pdsim_support import LINKABLE, PdsimAccount, pointing_at


@pytest.fixture
def pdsim_account() -> PdsimAccount:
    return LINKABLE


@pytest.fixture
def settings_overrides(sim: RunningSim, pdsim_account: PdsimAccount) -> dict[str, object]:
    """Each test starts on the account as seeded (a previous test's tokens, faults and clock are gone)."""
    return pointing_at(sim, **dict(pdsim_account.settings))
