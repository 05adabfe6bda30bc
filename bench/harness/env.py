"""Run configuration: the private database, Redis numbers, ports and the environment every
Vectis process of a run gets."""

import os
import secrets
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
BIN = Path(PYTHON).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Config:
    db_name: str = "vectis_bench_run"
    pg_host: str = "127.0.0.1"
    pg_port: int = 5432
    pg_user: str = "postgres"
    # Redis 9: broker and cache of the stack under test. Redis 10: what the harness itself
    # queues while it builds data in-process (no worker reads it; flushed at start and end).
    redis_db: int = 9
    aux_redis_db: int = 10
    web_workers: int = 3
    web_threads: int = 4
    celery_concurrency: int = 2
    beat: bool = True
    # `manage.py dispatch` processes (fan-out and allocation in batches); 0 leaves that work to
    # beat's fallback sweeps.
    dispatchers: int = 1
    web_port: int = field(default_factory=free_port)
    stub_port: int = field(default_factory=free_port)
    run_dir: Path = ROOT / "bench" / ".runs" / "latest"
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(50))
    encryption_key: str = ""

    @property
    def database_url(self) -> str:
        return f"postgres://{self.pg_user}@{self.pg_host}:{self.pg_port}/{self.db_name}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:6379/{self.redis_db}"

    @property
    def aux_redis_url(self) -> str:
        return f"redis://127.0.0.1:6379/{self.aux_redis_db}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def pg_dsn(self) -> str:
        return f"host={self.pg_host} port={self.pg_port} user={self.pg_user} dbname={self.db_name}"

    def vectis_env(self, *, aux: bool = False) -> dict[str, str]:
        """The environment of a Vectis process: production settings (pooled PostgreSQL, Redis,
        never eager) served over plain http, rate limits off for the benchmark."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("VECTIS_", "DB_", "GUNICORN_")) and k not in _OWN
        }
        if not self.encryption_key:
            self.encryption_key = generate_encryption_key()
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "vectis.settings",
                "DATABASE_URL": self.database_url,
                "REDIS_URL": self.aux_redis_url if aux else self.redis_url,
                "VECTIS_ENV": "development",
                "SECRET_KEY": self.secret_key,
                "VECTIS_ENCRYPTION_KEYS": self.encryption_key,
                "DB_POOL": "1",
                "VECTIS_TASKS_EAGER": "false",
                # The limiter runs, as in production (its Redis script is also how a request
                # learns the token revocation generation), with limits no load reaches.
                "VECTIS_RATE_LIMIT_ENABLED": "true",
                "VECTIS_RATE_LIMIT_PER_MINUTE": "1000000000",
                "VECTIS_RATE_LIMIT_BURST": "1000000000",
                "VECTIS_TOKEN_FAILURE_LIMIT": "0",
                "VECTIS_WEBHOOK_ALLOW_HTTP": "1",
                "VECTIS_WEBHOOK_ALLOW_PRIVATE": "1",
                "VECTIS_WEB_BIND": f"127.0.0.1:{self.web_port}",
                "VECTIS_WEB_WORKERS": str(self.web_workers),
                "VECTIS_WEB_THREADS": str(self.web_threads),
                "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
                "LOG_LEVEL": "WARNING",
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env


_OWN = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "ALLOWED_HOSTS"}


def generate_encryption_key() -> str:
    env = {k: v for k, v in os.environ.items() if k not in _OWN}
    env["VECTIS_ENV"] = "development"
    out = subprocess.run(
        [PYTHON, "manage.py", "generate_encryption_key"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


def django_setup(cfg: Config) -> None:
    """Django in this (the harness) process, on the run's database; what it queues goes to
    the auxiliary Redis number, which no worker reads."""
    for key, value in cfg.vectis_env(aux=True).items():
        os.environ[key] = value
    # One connection, no pool: the harness is one thread.
    os.environ["DB_POOL"] = "0"
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
