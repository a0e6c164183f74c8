"""What the periodic scheduler runs (RQ's cron scheduler: `python worker.py --cron`).

Each entry is a cheap tick that enqueues real work with a stable job id, so running two schedulers by
mistake enqueues nothing twice.
"""

from rq import cron

from app import jobs
from app.queue import DEFAULT

cron.register(jobs.tick_hourly, queue_name=DEFAULT, interval=3600)
