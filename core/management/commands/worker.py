"""`manage.py worker`: the background worker of the registry (`make run` starts it; production
runs one or more beside the web servers).

It is django-tasks-db's worker with what a registry needs on top:
- each loop first dispatches due outbox messages (`core.outbox`): new ones whose fast path was lost
  with its process, and ones whose lease ran out because the worker delivering them died;
- it survives the database going away (a restart, a failover, `pg_terminate_backend`): it closes
  its connections, waits with backoff and reconnects, where the library's worker exits.
Options are the library's `db_worker` options.
"""

from __future__ import annotations

import logging
import time

from django.db import InterfaceError, OperationalError, close_old_connections, connections
from django_tasks_db.compat import TASKS_LOGGER
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from core.outbox import outbox_dispatch

logger = logging.getLogger("core.worker")

MAX_RECONNECT_WAIT = 10.0  # seconds


class Worker(db_worker.Worker):
    def run(self) -> None:
        logger.info("Starting worker %s", self.worker_id)
        wait = 0.5
        while self.running:
            try:
                worked = self._step()
                wait = 0.5
            except (OperationalError, InterfaceError) as exc:
                if isinstance(exc, OperationalError) and is_locked_database_exception(exc):
                    worked = False
                else:
                    logger.warning("Database unavailable (%s); reconnecting in %.1fs", exc, wait)
                    connections.close_all()
                    time.sleep(wait)
                    wait = min(MAX_RECONNECT_WAIT, wait * 2)
                    continue
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            if self.running and not worked:
                if self.batch:
                    return
                time.sleep(self.interval)

    def _step(self) -> bool:
        """Dispatch due outbox messages, then run one task; whether a task ran."""
        close_old_connections()
        outbox_dispatch()
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        with exclusive_transaction(tasks.db):
            task_result = tasks.get_locked()
            if task_result is not None:
                task_result.claim(self.worker_id)
        if task_result is None:
            return False
        self.run_task(task_result)
        return True


class Command(db_worker.Command):
    help = "Run the registry's background worker (outbox dispatch and tasks; reconnects)."

    def handle(self, *args, **options) -> None:
        self.configure_logging(options["verbosity"])  # the library's levels
        logger.setLevel(logging.INFO if options["verbosity"] else logging.CRITICAL)
        # One handler each, on the command's output, and no propagation: through the "django"
        # logger's console handler (DEBUG) and the root one, every task line came out twice.
        for name in (TASKS_LOGGER, "django_tasks_db", logger.name):
            worker_logger = logging.getLogger(name)
            if not worker_logger.handlers:
                worker_logger.addHandler(logging.StreamHandler(self.stdout))
            worker_logger.propagate = False
        queues = options["queue_name"].split(",")
        excluded = options["exclude_queues"].split(",") if options["exclude_queues"] else []
        worker = Worker(
            queue_names=queues,
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=excluded,
        )
        # No autoreload (`--reload` is ignored): `make run` restarts the worker when it exits.
        worker.configure_signals()
        worker.run()
