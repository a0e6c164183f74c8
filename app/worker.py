"""The worker class: RQ's SimpleWorker with one app context per job, and the loop that outlives outages.

Forking a work-horse per job (RQ's default) would copy pooled database connections into the child and cost a
fork per delivery; jobs here are short and I/O-bound, and a hard crash still only takes one worker down. A
fresh app context per job gives each job a fresh database session, closed when the job ends.
"""

from __future__ import annotations

import logging
import signal
import time
from types import FrameType
from typing import Any

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.job import Job
from rq.queue import Queue

from app import liveness
from app.schedulers import RETRY_SECONDS, VigilScheduler

log = logging.getLogger(__name__)


class VigilWorker(SimpleWorker):
    # RQ backs off up to 60 s between attempts to reach a Redis that went away; a page should not wait that.
    max_connection_wait_time = 2.0

    def __init__(self, *args: Any, app: Flask, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.flask_app = app
        self.stopping = False
        self.beats: liveness.Heartbeat | None = None

    def perform_job(self, job: Job, queue: Queue) -> bool:
        with self.flask_app.app_context():
            return super().perform_job(job, queue)

    def bootstrap(self, *args: Any, **kwargs: Any) -> None:
        super().bootstrap(*args, **kwargs)
        self.beats = liveness.Heartbeat(self.connection, self.name).start()

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

    def _start_scheduler(
        self,
        burst: bool = False,
        logging_level: str | None = "INFO",
        date_format: str = "",
        log_format: str = "",
    ) -> None:
        """Like RQ's, with a scheduler that survives outages, and started even when another worker's holds
        the locks today: it takes them over within seconds of that one stopping (RQ would wait 10 minutes)."""
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
