"""What the periodic scheduler (`python worker.py --cron`) runs: cheap ticks that enqueue real work with a
stable job id, so running two schedulers by mistake enqueues nothing twice."""

from rq import cron

from app import jobs
from app.alerts.jobs import tick_alerts
from app.integrations.pagerduty.sync.jobs import tick_sync
from app.queue import DEFAULT
from config import load_settings

cron.register(jobs.tick_hourly, queue_name=DEFAULT, interval=3600)
# Incremental PagerDuty sync of every active account (VIGIL_SYNC_INTERVAL_SECONDS, default 5 minutes).
cron.register(tick_sync, queue_name=DEFAULT, interval=load_settings().sync_interval_seconds)
# Alert rules: one batched evaluation pass (VIGIL_ALERT_INTERVAL_SECONDS, default every minute).
cron.register(tick_alerts, queue_name=DEFAULT, interval=load_settings().alert_interval_seconds)
