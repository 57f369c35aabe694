"""``manage.py run_worker``: django-tasks-db's ``db_worker`` that survives a database outage and
recovers stalled jobs.

The stock worker exits on the first database error at poll time, so after a PostgreSQL restart
imports, billing runs, PDFs and e-mails stop until someone restarts it. This one takes the same
options, and

- on a lost or refused database connection it logs a warning, closes its connections and tries
  again after a back-off (``--retry-delay`` doubling up to ``--retry-max-delay``), for as long
  as it takes; a task that was running when the connection went stays "running" in the queue,
  and its job is recovered by the sweep below;
- at start and every ``JOB_SWEEP_SECONDS`` it runs ``invoicing.jobs.jobs_recover``: stalled
  billing runs and PDF batches are resumed, stalled imports marked failed.

Run it under a supervisor that restarts it (systemd ``Restart=always``, see the README).
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import time
from collections.abc import Callable

from django.conf import settings
from django.core.management.base import CommandError
from django.db import close_old_connections, connections
from django.db.utils import InterfaceError, OperationalError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from invoicing.jobs import jobs_recover

logger = logging.getLogger("django_tasks_db")

DATABASE_ERRORS = (OperationalError, InterfaceError)


class ResilientWorker(db_worker.Worker):
    """The db_worker loop, with a back-off on database errors and the stalled-job sweep."""

    def __init__(
        self,
        *,
        retry_delay: float = 1.0,
        retry_max_delay: float = 60.0,
        sweep_seconds: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        **options,
    ) -> None:
        super().__init__(**options)
        self.retry_delay = retry_delay
        self.retry_max_delay = retry_max_delay
        self.sweep_seconds = settings.JOB_SWEEP_SECONDS if sweep_seconds is None else sweep_seconds
        self.sleep = sleep
        self.next_sweep = 0.0
        self.outages = 0

    def run(self) -> None:
        logger.info(
            "Starting worker worker_id=%s queues=%s", self.worker_id, ",".join(self.queue_names)
        )
        if self.startup_delay and self.interval:
            self.sleep(random.random())  # noqa: S311 - a thundering herd, not cryptography
        delay = self.retry_delay
        while self.running:
            try:
                close_old_connections()
                self.sweep_when_due()
                task_result, retrieved = self.claim_next()
                if task_result is not None:
                    self.run_task(task_result)
                close_old_connections()
            except DATABASE_ERRORS as error:
                self.database_lost(error, delay)
                delay = min(delay * 2, self.retry_max_delay)
                continue
            if delay != self.retry_delay:
                logger.warning("Database reachable again; worker %s goes on.", self.worker_id)
                delay = self.retry_delay
            if self.batch and retrieved and task_result is None:
                logger.info("No more tasks to run for worker_id=%s - exiting.", self.worker_id)
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                logger.info("Ran %d tasks on worker=%s - exiting.", self._run_tasks, self.worker_id)
                return
            if self.running and task_result is None:
                self.sleep(self.interval)

    def claim_next(self) -> tuple[DBTaskResult | None, bool]:
        """Claim the next ready task of this worker's queues (as db_worker does). Returns it (or
        None) and whether the queue could be read (False when the database was locked)."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        with exclusive_transaction(tasks.db):
            try:
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
            except OperationalError as error:
                if not is_locked_database_exception(error):
                    raise
                return None, False
        return task_result, True

    def sweep_when_due(self) -> None:
        """Recover stalled jobs at start and then every ``sweep_seconds``. A database error goes
        to the back-off; any other error is logged and does not stop the worker."""
        now = time.monotonic()
        if now < self.next_sweep:
            return
        self.next_sweep = now + self.sweep_seconds
        try:
            jobs_recover()
        except DATABASE_ERRORS:
            self.next_sweep = 0.0
            raise
        except Exception:  # noqa: BLE001 - a broken sweep must not stop the queue
            logger.exception("Recovering stalled jobs failed")

    def database_lost(self, error: Exception, delay: float) -> None:
        """Log the outage, drop every connection (the next poll opens new ones) and wait."""
        self.outages += 1
        logger.warning(
            "Database unavailable (%s); worker %s tries again in %.1f s.",
            " ".join(str(error).split()) or type(error).__name__,  # one line in the logs
            self.worker_id,
            delay,
        )
        for connection in connections.all(initialized_only=True):
            # A dead connection may not close cleanly; it is dropped all the same.
            with contextlib.suppress(Exception):
                connection.close()
        self.sleep(delay)


class Command(db_worker.Command):
    help = (
        "Run a database background worker that waits out database outages (retrying with a "
        "back-off) and resumes stalled jobs."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--retry-delay",
            type=db_worker.valid_interval,
            default=1.0,
            help="Seconds to wait after a database error, doubled each time (default: 1).",
        )
        parser.add_argument(
            "--retry-max-delay",
            type=db_worker.valid_interval,
            default=60.0,
            help="The longest wait between attempts to reach the database (default: 60).",
        )

    def handle(
        self,
        *,
        verbosity: int,
        queue_name: str,
        exclude_queues: str,
        reload: bool,
        batch: bool,
        retry_delay: float,
        retry_max_delay: float,
        **options,
    ) -> None:
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = ResilientWorker(
            queue_names=queue_names,
            excluded_queue_names=excluded,
            interval=options["interval"],
            batch=batch,
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            retry_delay=retry_delay,
            retry_max_delay=retry_max_delay,
        )
        if reload and not batch:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()  # only the child process, as db_worker does
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
