"""DORA 2023 bands for change failure rate and failed deployment recovery time."""

from __future__ import annotations

import pytest

from app.analytics.dora import DoraBand, change_failure_band, recovery_time_band


@pytest.mark.parametrize(
    ("rate", "band"),
    [
        (0.0, DoraBand.ELITE),
        (0.05, DoraBand.ELITE),  # 5 % is the elite value itself
        (0.0501, DoraBand.HIGH),
        (0.10, DoraBand.HIGH),
        (0.15, DoraBand.MEDIUM),
        (0.1501, DoraBand.LOW),
        (1.0, DoraBand.LOW),
    ],
)
def test_it_bands_change_failure_rate(rate: float, band: DoraBand) -> None:
    assert change_failure_band(rate) is band


@pytest.mark.parametrize(
    ("seconds", "band"),
    [
        (0.0, DoraBand.ELITE),
        (3599.0, DoraBand.ELITE),
        (3600.0, DoraBand.HIGH),  # "less than one hour" is elite, an hour is not
        (86399.0, DoraBand.HIGH),
        (86400.0, DoraBand.MEDIUM),
        (7 * 86400.0 - 1, DoraBand.MEDIUM),
        (7 * 86400.0, DoraBand.LOW),
    ],
)
def test_it_bands_recovery_time(seconds: float, band: DoraBand) -> None:
    assert recovery_time_band(seconds) is band


def test_it_gives_no_band_without_data() -> None:
    assert change_failure_band(None) is None
    assert recovery_time_band(None) is None
