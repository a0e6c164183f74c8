"""DORA performance bands for the two stability metrics, from the 2023 Accelerate State of DevOps report.

The report publishes one typical value per cluster (change failure rate: elite 5 %, high 10 %, medium 15 %,
low 64 %; failed deployment recovery time: elite less than one hour, high less than one day, medium between
one day and one week, low between one month and six months). It leaves gaps between clusters, so, like Apache
DevLake's benchmarks, we read each value as an upper bound and give everything above medium to low. Source and
bands are in docs/metrics.md.
"""

from __future__ import annotations

import enum

HOUR = 3600.0
DAY = 24 * HOUR
WEEK = 7 * DAY


class DoraBand(enum.StrEnum):
    ELITE = "elite"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


def change_failure_band(rate: float | None) -> DoraBand | None:
    """`rate` is a fraction (0.05 = 5 %); at most 5 % elite, 10 % high, 15 % medium, above that low."""
    if rate is None:
        return None
    # Compare in whole hundredths of a percent so 0.05 (a float just above 5/100) is still elite.
    basis_points = round(rate * 10_000)
    if basis_points <= 500:
        return DoraBand.ELITE
    if basis_points <= 1000:
        return DoraBand.HIGH
    if basis_points <= 1500:
        return DoraBand.MEDIUM
    return DoraBand.LOW


def recovery_time_band(seconds: float | None) -> DoraBand | None:
    """Median failed-deployment recovery time: under an hour elite, under a day high, under a week medium."""
    if seconds is None:
        return None
    if seconds < HOUR:
        return DoraBand.ELITE
    if seconds < DAY:
        return DoraBand.HIGH
    if seconds < WEEK:
        return DoraBand.MEDIUM
    return DoraBand.LOW
