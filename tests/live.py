"""Real server processes for tests that must cross the server stack: gunicorn with the
shipped configuration, Celery workers, and private Redis instances the test may stop.

They run against the test database (so tests using them need
`django_db(transaction=True)` on PostgreSQL) and only ever listen on 127.0.0.1.
"""

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_database_url() -> str:
    """The URL of the database this test runs on (the test database, not the configured one)."""
    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{s['NAME']}"


def server_env(**overrides: str) -> dict[str, str]:
    """Environment of a Vectis process on the test database, with the real settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VECTIS_", "PYTEST", "DJANGO_")) and k not in {"REDIS_URL"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "vectis.settings",
            "DATABASE_URL": test_database_url(),
            "VECTIS_ENV": "development",
            "VECTIS_WEBHOOK_ALLOW_HTTP": "true",
            "VECTIS_WEBHOOK_ALLOW_PRIVATE": "true",
            # The same keys as this process, so both read what the other encrypted.
            "SECRET_KEY": settings.SECRET_KEY,
            "VECTIS_ENCRYPTION_KEYS": ",".join(getattr(settings, "VECTIS_ENCRYPTION_KEYS", [])),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


class Process:
    """A child process with its output in a log file, stopped for sure at the end."""

    def __init__(self, args: list[str], env: dict[str, str], name: str):
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in stop)
            prefix=f"vectis-{name}-", suffix=".log", delete=False
        )
        # Its own process group, so a kill reaches the children (Celery's pool) too.
        self.proc = subprocess.Popen(
            args,
            cwd=BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL to the whole process group: nothing gets to clean up."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=20)

    def stop(self) -> None:
        if self.alive():
            self.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=15)
        # Whatever is left of the group (pool children) goes too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        self.log.close()


def wait_until(predicate, *, timeout: float = 30.0, interval: float = 0.1, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what or predicate}")


class LiveServer:
    def __init__(self, process: Process, port: int):
        self.process = process
        self.host = "127.0.0.1"
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    def connection(self, timeout: float = 30) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def raw(self, data: bytes, timeout: float = 30) -> bytes:
        """Send raw bytes, return everything the server answers until it closes."""
        with socket.create_connection((self.host, self.port), timeout=timeout) as sock:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)


def _ready(port: int) -> bool:
    """The server answers HTTP (whatever it says of its dependencies, which may be down)."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/healthz")
        return conn.getresponse().status > 0
    except OSError:
        return False


@contextmanager
def gunicorn(**env_overrides: str):
    """gunicorn with deploy/gunicorn.conf.py (one worker, two threads unless told) on a free
    port."""
    port = free_port()
    env = server_env(
        **{
            "VECTIS_WEB_BIND": f"127.0.0.1:{port}",
            "VECTIS_WEB_WORKERS": "1",
            "VECTIS_WEB_THREADS": "2",
            # In-process follow-up work done before each answer, so that none is still
            # writing when the test that made the request cleans the database up.
            "VECTIS_BACKGROUND_INLINE": "true",
            **env_overrides,
        }
    )
    process = Process(
        [sys.executable, "-m", "gunicorn", "-c", str(BASE_DIR / "deploy/gunicorn.conf.py")],
        env,
        "gunicorn",
    )
    try:
        wait_until(
            lambda: _ready(port) or not process.alive(), timeout=60, what="gunicorn to start"
        )
        assert process.alive(), process.output()
        yield LiveServer(process, port)
    finally:
        process.stop()


class RedisServer:
    """A private redis-server on a free port that a test may stop and start again."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process: Process | None = None

    def start(self) -> None:
        self.process = Process(
            [
                self.binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            dict(os.environ),
            "redis",
        )
        wait_until(self.ping, timeout=20, what="redis to start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@contextmanager
def redis_server():
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def celery_worker(
    redis_url: str,
    *,
    beat: bool = False,
    queues: str | None = None,
    concurrency: int = 2,
    **env_overrides: str,
):
    """A Celery worker (with beat when asked; of some queues only, when told) against
    `redis_url` and the test database."""
    env = server_env(REDIS_URL=redis_url, **env_overrides)
    args = [sys.executable, "-m", "celery", "-A", "vectis", "worker"]
    args += ["-c", str(concurrency), "-l", "INFO"]
    if queues:
        args += ["-Q", queues, "-n", f"{queues.replace(',', '-')}@%h"]
    if beat:
        schedule = tempfile.mktemp(prefix="vectis-beat-")  # noqa: S306 (beat creates the file)
        args += ["-B", "-s", schedule]
    process = Process(args, env, "celery")
    try:
        wait_until(
            lambda: "ready." in process.output() or not process.alive(),
            timeout=60,
            what="the celery worker to start",
        )
        assert process.alive(), process.output()
        yield process
    finally:
        process.stop()
