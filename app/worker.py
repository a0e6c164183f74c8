"""The worker class: RQ's SimpleWorker with one app context per job.

Forking a work-horse per job (RQ's default) would copy pooled database connections into the child and cost a
fork per delivery; jobs here are short and I/O-bound, and a hard crash still only takes one worker down. A
fresh app context per job gives each job a fresh database session, closed when the job ends.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from rq import SimpleWorker
from rq.job import Job
from rq.queue import Queue


class VigilWorker(SimpleWorker):
    def __init__(self, *args: Any, app: Flask, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.flask_app = app

    def perform_job(self, job: Job, queue: Queue) -> bool:
        with self.flask_app.app_context():
            return super().perform_job(job, queue)
