"""Real processes for the fault drills: workers and servers started against the test database.

The test process creates the data (under `transactional_db`, so it is committed and visible to
other processes); children run the project's own commands (`manage.py worker`, gunicorn) with the
test settings pointed at the same database, media folder and the database task backend.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import requests
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def database_url() -> str:
    """The URL of the database the test process is using (the test database)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": database_url(),
        "TEST_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


class Worker:
    """One `manage.py worker` process, which can be killed and started again."""

    def __init__(self, name: str, log: Path, **env: str):
        self.name = name
        self.log = log
        self.env = child_env(**env)
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                [
                    PYTHON,
                    "manage.py",
                    "worker",
                    "--interval",
                    "0.2",
                    "--no-startup-delay",
                    "--worker-id",
                    self.name,
                ],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.alive():
            assert self.process is not None
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=30)


@contextlib.contextmanager
def workers(count: int, log_dir: Path, **env: str) -> Iterator[list[Worker]]:
    pool = [Worker(f"w{n}", log_dir / f"worker-{n}.log", **env) for n in range(count)]
    try:
        for worker in pool:
            worker.start()
        yield pool
    finally:
        for worker in pool:
            worker.kill()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(workers: int, log: Path, **env: str) -> Iterator[str]:
    """Serve the app with `workers` gunicorn processes; yields the base URL once it answers."""
    options = ["--workers", str(workers), "--timeout", "60"]
    with _serve(["-m", "gunicorn", "config.wsgi", "--bind"], options, log, **env) as base:
        yield base


@contextlib.contextmanager
def runserver(log: Path, **env: str) -> Iterator[str]:
    """Serve the app as `make run` does (Django's threaded development server)."""
    with _serve(["manage.py", "runserver", "--noreload"], [], log, **env) as base:
        yield base


@contextlib.contextmanager
def _serve(command: list[str], options: list[str], log: Path, **env: str) -> Iterator[str]:
    """Run `python <command> 127.0.0.1:<port> <options>` against the test database; yields the
    base URL once its home page answers; stops the process group afterwards."""
    port = free_port()
    with log.open("a") as out:
        process = subprocess.Popen(
            [PYTHON, *command, f"127.0.0.1:{port}", *options],
            cwd=ROOT,
            env=child_env(**env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(base), timeout=60, what=f"the server on {base} (log: {log})")
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)


def _answers(base: str) -> bool:
    try:
        return requests.get(f"{base}/", timeout=2).status_code < 500
    except requests.RequestException:
        return False


def wait_for(condition, *, timeout: float, what: str, every: float = 0.2):
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"Timed out after {timeout:.0f} s waiting for {what}")


def own_backend_pid() -> int:
    """PostgreSQL: the server process of the test's own connection (to spare it)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def admin_connection():
    """PostgreSQL: a connection of its own to the test database, in autocommit, from which to
    end the other sessions."""
    import psycopg

    db = connection.settings_dict
    return psycopg.connect(
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        user=db.get("USER") or "postgres",
        password=db.get("PASSWORD") or None,
        dbname=db["NAME"],
        autocommit=True,
    )


TERMINATE = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> ALL(%s)"
)


def terminate_with(admin, spare: list[int]) -> int:
    """End every session on the test database but `admin`'s and the `spare` ones (as a failover
    or an operator's pg_terminate_backend would); how many were ended."""
    rows = admin.execute(TERMINATE, [spare]).fetchall()
    return sum(1 for (ended,) in rows if ended)


def terminate_backends(*, exclude_pid: int | None = None) -> int:
    """`terminate_with` from a connection opened for the purpose."""
    with admin_connection() as admin:
        return terminate_with(admin, [exclude_pid or 0])
