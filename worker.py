"""Start an RQ worker on Vigil's queues, or the periodic scheduler.

python worker.py                 # a worker on sync, deliver and default (run as many as you like)
python worker.py --queues deliver
python worker.py --cron          # the periodic scheduler (run one; a second one doubles nothing)

Both ride out Redis and PostgreSQL outages of any length and resume on their own (app/worker.py).
"""

from __future__ import annotations

import argparse

from app import create_app
from app.queue import QUEUE_NAMES, get_queue, redis_connection
from app.worker import VigilCronScheduler, run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--queues", nargs="+", default=list(QUEUE_NAMES), choices=QUEUE_NAMES)
    parser.add_argument("--cron", action="store_true", help="run the periodic scheduler instead of a worker")
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    args = parser.parse_args(argv)

    app = create_app()
    with app.app_context():
        connection = redis_connection()
    if args.cron:
        scheduler = VigilCronScheduler(connection=connection, logging_level="INFO")
        scheduler.load_config_from_file("app.cron")
        scheduler.start()
        return
    run(app, connection, [get_queue(name, connection) for name in args.queues], burst=args.burst)


if __name__ == "__main__":
    main()
