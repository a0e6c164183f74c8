"""RQ's two schedulers, made to ride out a Redis outage of any length and to die with their parent.

Stock RQ 2.12 lets one Redis error end them: the cron scheduler (`worker.py --cron`) exits from its loop
(and again from `register_death`), and a worker's delayed-job scheduler process exits and is started again
only at the worker's 10-minute maintenance. Here each loop catches the Redis error, waits a moment, and
carries on from scratch (registration and locks may have gone with the Redis data), so work resumes within
seconds of Redis answering again.
"""

from __future__ import annotations

import logging
import os
import time

from redis.exceptions import RedisError
from rq.cron import CronScheduler
from rq.exceptions import StopRequested
from rq.scheduler import RQScheduler

from app import liveness

log = logging.getLogger(__name__)

# How long a scheduler waits before trying Redis again after an error.
RETRY_SECONDS = 1.0
# The cron loop wakes at least this often, so its tick (shown by /healthz) stays fresh between entries.
CRON_WAKE_SECONDS = 5.0


class VigilCronScheduler(CronScheduler):
    def start(self) -> None:
        log.info("cron scheduler %s: starting", self.name)
        self._install_signal_handlers()
        try:
            while True:
                try:
                    self.tick()
                    pause = min(self.calculate_sleep_interval(), CRON_WAKE_SECONDS)
                except RedisError as exc:
                    log.warning("cron scheduler: the queue is unreachable (%s); retrying", exc)
                    pause = RETRY_SECONDS
                time.sleep(pause)
        except (KeyboardInterrupt, StopRequested):
            log.info("cron scheduler %s: stop requested", self.name)
        finally:
            try:
                self.register_death()
            except RedisError as exc:
                # Its registry entry expires on its own; nothing is owed to a Redis that is not there.
                log.warning("cron scheduler %s: could not unregister (%s)", self.name, exc)
            except StopRequested:
                # A second signal while unregistering (Ctrl-C reaches it from the terminal, then the
                # launcher's SIGTERM): the entry expires on its own, and the stop was asked for anyway.
                log.info("cron scheduler %s: stopped before unregistering", self.name)

    def tick(self) -> None:
        """Enqueue what is due; heartbeat() re-registers this scheduler if Redis lost its record."""
        if self.enqueue_jobs():
            self.save()
        self.heartbeat()
        liveness.record_tick(self.connection)


class VigilScheduler(RQScheduler):
    """A worker's delayed-job scheduler (its own process): moves jobs whose time has come onto their queue."""

    def work(self) -> None:
        liveness.die_with_parent()
        parent = os.getppid()
        self._install_signal_handlers()
        registered = False
        while not self._stop_requested:
            if os.getppid() != parent:
                log.warning("scheduler %s: its worker is gone; stopping", self.name)
                break
            try:
                if not registered:
                    self.register_birth()
                    registered = True
                if self._acquired_locks != self._queue_names:
                    # Another worker's scheduler may hold the locks; take them over as soon as it stops.
                    self.acquire_locks()
                self.heartbeat()
                self.enqueue_scheduled_jobs()
            except RedisError as exc:
                log.warning("scheduler %s: the queue is unreachable (%s); retrying", self.name, exc)
                # A restarted Redis may have lost the locks and this scheduler's record: start over.
                registered = False
                self._acquired_locks = set()
                self._scheduled_job_registries = []
            time.sleep(self.interval)
        try:
            self.stop()
        except RedisError as exc:
            log.warning("scheduler %s: could not release its locks (%s); they expire", self.name, exc)
