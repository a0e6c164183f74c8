"""Sync of PagerDuty data into Vigil: pure mapping, idempotent upserts, resumable streams, RQ jobs."""
