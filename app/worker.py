"""The worker class and the two schedulers, made to ride out a Redis outage of any length.

VigilWorker is RQ's SimpleWorker with a fresh app context (so a fresh database session) per job: forking a
work-horse per job would copy pooled database connections into the child and cost a fork per delivery.

Stock RQ 2.12 lets one Redis error end a worker's loop and both schedulers (the cron scheduler of `worker.py
--cron`, and a worker's delayed-job scheduler, restarted only at the worker's 10-minute maintenance). Here
each loop catches the Redis error, waits a moment, and carries on from scratch (registration and locks may
have gone with the Redis data), so work resumes within seconds of Redis answering again.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from types import FrameType
from typing import Any

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.cron import CronScheduler
from rq.exceptions import StopRequested
from rq.job import Job
from rq.queue import Queue
from rq.scheduler import RQScheduler

from app.queue import Heartbeat, die_with_parent, record_tick

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
                    if self.enqueue_jobs():
                        self.save()
                    self.heartbeat()  # re-registers this scheduler if Redis lost its record
                    record_tick(self.connection)
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


class VigilScheduler(RQScheduler):
    """A worker's delayed-job scheduler (its own process): moves jobs whose time has come onto their queue."""

    def work(self) -> None:
        die_with_parent()
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


class VigilWorker(SimpleWorker):
    # RQ backs off up to 60 s between attempts to reach a Redis that went away; a page should not wait that.
    max_connection_wait_time = 2.0

    def __init__(self, *args: Any, app: Flask, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.flask_app = app
        self.stopping = False
        self.beats: Heartbeat | None = None

    def perform_job(self, job: Job, queue: Queue) -> bool:
        with self.flask_app.app_context():
            return super().perform_job(job, queue)

    def bootstrap(self, *args: Any, **kwargs: Any) -> None:
        super().bootstrap(*args, **kwargs)
        self.beats = Heartbeat(self.connection, self.name).start()

    def teardown(self) -> None:
        """RQ's teardown, each step on its own: a Redis that went away must not keep the scheduler process
        or the command listener of this worker running after it."""
        if self.beats is not None:
            self.beats.stop()
        if self.scheduler:
            self.stop_scheduler()
        try:
            self.register_death()
        except RedisError as exc:
            log.warning("worker %s: could not record its death (%s); its record expires", self.name, exc)
        try:
            self.unsubscribe()
        except RedisError as exc:
            log.warning("worker %s: could not unsubscribe cleanly (%s); closing its listener", self.name, exc)
            if self.pubsub_thread:
                self.pubsub_thread.stop()
                self.pubsub.close()

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True
        super().request_stop(signum, frame)

    def _start_scheduler(self, burst: bool = False, *logging_options: Any) -> None:
        """Like RQ's (without its logging options), with a scheduler that survives outages, and started even
        when another worker's holds the locks today: it takes them over within seconds of that one stopping
        (RQ would wait 10 minutes)."""
        self.scheduler = VigilScheduler(self.queues, connection=self.connection, serializer=self.serializer)
        if not burst:
            self.scheduler.start()
            return
        self.scheduler.acquire_locks()
        if self.scheduler.acquired_locks:
            try:
                self.scheduler.register_birth()
                self.scheduler.enqueue_scheduled_jobs()
            finally:
                self.scheduler.release_locks()
                self.scheduler.register_death()


def run(app: Flask, connection: Redis, queues: list[Queue], *, burst: bool) -> None:
    """Work until asked to stop. RQ's loop ends on some Redis errors (a timeout, an error outside its
    dequeue); then a new worker starts as soon as Redis answers, as a process supervisor would start one."""
    while True:
        worker = VigilWorker(queues, connection=connection, app=app)
        try:
            worker.work(with_scheduler=True, burst=burst)
        except RedisError as exc:
            log.warning("worker %s: lost the queue (%s)", worker.name, exc)
        if burst or worker.stopping:
            return
        log.warning("worker %s: its loop ended; starting a new worker once the queue answers", worker.name)
        # Between two workers there is nothing to finish: a stop request simply ends the process.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        _wait_for(connection)


def _wait_for(connection: Redis) -> None:
    while True:
        try:
            connection.ping()
            return
        except RedisError as exc:
            log.info("waiting for the queue (%s)", exc)
            time.sleep(RETRY_SECONDS)
