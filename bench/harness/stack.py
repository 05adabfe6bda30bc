"""The stack under test, started the production way and stopped by the harness itself:
gunicorn with deploy/gunicorn.conf.py, Celery workers (and beat), the webhook stub receiver.
Only processes this module started are ever signalled, by their own process group."""

import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import psycopg

from bench.harness.env import BIN, PYTHON, ROOT, Config


def admin_conn(cfg: Config) -> psycopg.Connection:
    return psycopg.connect(
        host=cfg.pg_host, port=cfg.pg_port, user=cfg.pg_user, dbname="postgres", autocommit=True
    )


def recreate_database(cfg: Config) -> None:
    if not cfg.db_name.startswith("vectis_bench"):
        raise SystemExit("refusing to drop a database whose name does not start vectis_bench")
    with admin_conn(cfg) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{cfg.db_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{cfg.db_name}"')


def manage(cfg: Config, *args: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=cfg.vectis_env(aux=True),
        capture_output=True,
        text=True,
        check=check,
        **kwargs,
    )


def flush_redis(db: int) -> None:
    subprocess.run(["redis-cli", "-n", str(db), "FLUSHDB"], check=True, capture_output=True)


class Proc:
    """A child process in its own process group, logging to a file of the run directory."""

    def __init__(self, name: str, argv: list[str], env: dict, log_dir: Path):
        self.name = name
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{name}.log"
        self.log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 30) -> None:
        if self.alive():
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(10)
            except ProcessLookupError:
                pass
        self.log.close()


class Stack:
    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.procs: dict[str, Proc] = {}

    def start(self, *, web: bool = True, workers: bool = True, stub: bool = True) -> None:
        env = self.cfg.vectis_env()
        logs = self.cfg.run_dir / "logs"
        if stub and "stub" not in self.procs:
            self.procs["stub"] = Proc(
                "stub",
                [PYTHON, "-m", "bench.harness.stub", "--port", str(self.cfg.stub_port)],
                env,
                logs,
            )
        if web and "web" not in self.procs:
            self.procs["web"] = Proc(
                "gunicorn", [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py"], env, logs
            )
        if workers and "worker" not in self.procs:
            # --loglevel INFO as README.md runs it in production (one line per task).
            argv = [str(BIN / "celery"), "-A", "vectis", "worker", "--loglevel", "INFO"]
            argv += ["-c", str(self.cfg.celery_concurrency), "-n", f"bench{self.cfg.web_port}@%h"]
            if self.cfg.beat:
                schedule = self.cfg.run_dir / "celerybeat-schedule"
                argv += ["-B", "-s", str(schedule)]
            self.procs["worker"] = Proc("celery", argv, env, logs)
        if workers:
            for n in range(self.cfg.dispatchers):
                name = f"dispatch{n}"
                if name not in self.procs:
                    self.procs[name] = Proc(name, [PYTHON, "manage.py", "dispatch"], env, logs)
        self.wait_ready()

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        if "web" in self.procs:
            while True:
                if not self.procs["web"].alive():
                    raise SystemExit(f"gunicorn died: see {self.procs['web'].log_path}")
                try:
                    with urllib.request.urlopen(f"{self.cfg.base_url}/readyz", timeout=5) as r:  # noqa: S310 (our own loopback server)
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not become ready")
                time.sleep(0.5)
        if "worker" in self.procs:
            # celery inspect ping would load another Django; the log line is enough.
            while b"ready." not in self.procs["worker"].log_path.read_bytes():
                if not self.procs["worker"].alive() or time.monotonic() > deadline:
                    raise SystemExit(f"celery not ready: see {self.procs['worker'].log_path}")
                time.sleep(0.5)

    def web_worker_pids(self) -> list[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.procs["web"].pid)], capture_output=True, text=True
        )
        return [int(p) for p in out.stdout.split()]

    def celery_pool_pids(self) -> list[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.procs["worker"].pid)], capture_output=True, text=True
        )
        return [int(p) for p in out.stdout.split()]

    def stop(self, *names: str) -> None:
        for name in names or list(self.procs):
            proc = self.procs.pop(name, None)
            if proc is not None:
                proc.stop()

    def restart_workers(self) -> None:
        self.stop("worker", *[name for name in self.procs if name.startswith("dispatch")])
        self.start(web=False, workers=True, stub=False)


def token(cfg: Config, account_name: str, client_name: str = "bench") -> str:
    """An API client made with `manage.py create_api_client` and a token from /oauth/token."""
    return access_token(cfg, client(cfg, account_name, client_name))


def client(cfg: Config, account_name: str, client_name: str = "bench") -> dict:
    out = manage(
        cfg, "create_api_client", "--account", account_name, "--name", client_name, "--all-scopes"
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def access_token(cfg: Config, creds: dict) -> str:
    """A token for the client (tokens live an hour: long runs ask again)."""
    body = json.dumps(
        {
            "grant_type": "client_credentials",
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 (our own loopback server)
        f"{cfg.base_url}/oauth/token",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as r:  # noqa: S310 (our own loopback server)
        return json.loads(r.read())["access_token"]


def celery_task_times(log_path: Path) -> dict:
    """Per task name, from the worker's INFO log: how many ran and their total and mean
    seconds (wall time inside the pool process)."""
    import re

    pattern = re.compile(r"Task ([\w.]+)\[[^\]]+\] succeeded in ([\d.]+)s")
    totals: dict[str, list[float]] = {}
    if not log_path.exists():
        return {}
    with log_path.open(errors="replace") as f:
        for line in f:
            m = pattern.search(line)
            if m:
                totals.setdefault(m.group(1), []).append(float(m.group(2)))
    return {
        name: {"n": len(v), "total_s": round(sum(v), 1), "mean_s": round(sum(v) / len(v), 3)}
        for name, v in sorted(totals.items(), key=lambda kv: -sum(kv[1]))
    }
