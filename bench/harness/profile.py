"""Where the time goes: py-spy samples one gunicorn worker and one Celery pool process while an
S1 load runs, then the collapsed stacks are summed into the top frames (inclusive and self)
and the share of time per layer (DRF, Django ORM, psycopg, JSON, Vectis code, …)."""

import shutil
import subprocess
import threading
from collections import Counter
from pathlib import Path

from bench.harness.env import BIN

# Frames print as "function (path/to/file.py:line)", paths relative to site-packages or the
# project root.
VECTIS = ("(orders/", "(inventory/", "(catalog/", "(webhooks/", "(warehouses/", "(vectis/")
LAYERS = [
    ("Vectis code", (*VECTIS, "(returns/")),
    ("psycopg (driver, waiting on PostgreSQL)", ("psycopg/", "psycopg_pool/", "psycopg_binary")),
    ("Django ORM (query building, model instances)", ("django/db/",)),
    (
        "DRF serializers/fields",
        ("rest_framework/serializers", "rest_framework/fields", "rest_framework/relations"),
    ),
    ("DRF views/request/parsers/renderers", ("rest_framework/",)),
    ("django-oauth-toolkit / oauthlib", ("oauth2_provider/", "oauthlib/")),
    ("Django request/middleware/other", ("django/",)),
    ("Celery/kombu/redis", ("celery/", "kombu/", "redis/", "billiard/")),
    ("gunicorn", ("gunicorn/",)),
    ("json", ("json/",)),
]
# Frames on (nearly) every stack: thread start, the server loop, Django's handler chain.
GENERIC = (
    "(threading.py", "(concurrent/", "(gunicorn/", "(billiard/", "(click/", "(celery/",
    "(kombu/", "(django/core/handlers/", "(django/utils/deprecation.py", "(vectis/api/body.py",
    "(vectis/api/middleware.py", "(django/views/decorators/", "(rest_framework/views.py",
    "(django/contrib/", "(django/middleware/", "(whitenoise/", "<module>",
)  # fmt: skip


def py_spy() -> str | None:
    return shutil.which("py-spy", path=str(BIN)) or shutil.which("py-spy")


def record(pid: int, seconds: float, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [py_spy(), "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "100",
         "--format", "raw", "--nonblocking", "--output", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip


def record_command(argv: list[str], out: Path, **kwargs) -> subprocess.CompletedProcess:
    """Run `argv` under py-spy from start to end (a management command, say)."""
    return subprocess.run(
        [py_spy(), "record", "--rate", "100", "--format", "raw", "--output", str(out), "--",
         *argv],
        capture_output=True,
        text=True,
        check=False,
        **kwargs,
    )  # fmt: skip


def _frames(stack: str) -> list[str]:
    frames = stack.split(";")
    # py-spy puts the thread name first ("thread (0x…)" / process): drop it.
    return [f for f in frames if not f.startswith(("thread (", "process "))]


def _function(frame: str) -> str:
    """ "f (path.py:12)" → "f (path.py)"."""
    name, _, where = frame.rpartition(" (")
    return f"{name} ({where.rsplit(':', 1)[0]})" if name else frame


def _layer(frame: str) -> str:
    for name, needles in LAYERS:
        if any(n in frame for n in needles):
            return name
    return "other (stdlib, C, interpreter)"


def summarize(path: Path, top: int = 12) -> dict:
    inclusive, own, layers = Counter(), Counter(), Counter()
    vectis_inclusive, app_inclusive = Counter(), Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = _frames(stack)
        if not frames:
            continue
        total += n
        for f in set(frames):
            inclusive[f] += n
            generic = any(x in f for x in GENERIC)
            if any(x in f for x in VECTIS) and not generic:
                vectis_inclusive[f] += n
        # By function (all its lines together), for the libraries' frames.
        for f in {_function(f) for f in frames}:
            if not any(x in f for x in GENERIC):
                app_inclusive[f] += n
        own[frames[-1]] += n
        layers[_layer(frames[-1])] += n

    def pct(counter: Counter) -> list[tuple[str, float]]:
        return [(f, round(100 * n / total, 1)) for f, n in counter.most_common(top)]

    return {
        "samples": total,
        "self_top": pct(own),
        "inclusive_top": pct(app_inclusive),
        "vectis_inclusive_top": pct(vectis_inclusive),
        "layers": [(name, round(100 * n / total, 1)) for name, n in layers.most_common()],
    }


def profile_run(
    pids: dict[str, list[int]], seconds: float, out_dir: Path, load, dsn: str | None = None
) -> dict:
    """Start py-spy on each pid, run `load()` meanwhile, return one summary per name (the
    samples of all its pids together)."""
    if not py_spy():
        return {"skipped": "py-spy not installed (.venv/bin/pip install py-spy)"}
    out_dir.mkdir(parents=True, exist_ok=True)
    procs = {
        name: [
            (record(pid, seconds, out_dir / f"{pid}.txt"), out_dir / f"{pid}.txt") for pid in group
        ]
        for name, group in pids.items()
    }
    worker = threading.Thread(target=load)
    activity = PgActivity(dsn) if dsn else None
    if activity:
        activity.__enter__()
    worker.start()
    result = {}
    for name, group in procs.items():
        merged = out_dir / (name.replace(" ", "_").replace("/", "_").replace(",", "") + ".txt")
        errors = []
        with merged.open("w") as out:
            for proc, path in group:
                _, err = proc.communicate(timeout=seconds + 120)
                if proc.returncode or not path.exists():
                    errors.append(err.decode()[-300:])
                else:
                    out.write(path.read_text())
        summary = summarize(merged)
        if errors:
            summary["errors"] = errors
        result[name] = summary
    worker.join()
    if activity:
        activity.__exit__(None, None, None)
        result["PostgreSQL backends meanwhile"] = {"pg_activity": activity.summary()}
    return result


class PgActivity:
    """Samples pg_stat_activity of the run's database every `interval` seconds in a thread:
    what PostgreSQL's backends are doing (on CPU, waiting on a lock, on WAL, idle in a
    transaction, idle) and which statements are running."""

    def __init__(self, dsn: str, interval: float = 0.1):
        self.dsn = dsn
        self.interval = interval
        self.states: Counter = Counter()
        self.queries: Counter = Counter()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self._stop.is_set():
                rows = conn.execute(
                    "SELECT state, wait_event_type, wait_event, query FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND backend_type = 'client backend'"
                ).fetchall()
                self.samples += 1
                for state, wait_type, wait, query in rows:
                    if state == "active":
                        key = f"active: {wait_type}/{wait}" if wait_type else "active: on CPU"
                        self.queries[_statement(query)] += 1
                    else:
                        key = state or "?"
                    self.states[key] += 1
                self._stop.wait(self.interval)

    def summary(self, top: int = 10) -> dict:
        busy = sum(n for k, n in self.states.items() if k.startswith("active"))
        return {
            "samples": self.samples,
            "backends_per_sample": round(sum(self.states.values()) / max(self.samples, 1), 1),
            "active_per_sample": round(busy / max(self.samples, 1), 2),
            "states": [
                (k, round(n / max(self.samples, 1), 2)) for k, n in self.states.most_common()
            ],
            "active_statements": [
                (q, round(100 * n / max(busy, 1), 1)) for q, n in self.queries.most_common(top)
            ],
        }


def _statement(query: str) -> str:
    """A statement's kind and table: 'UPDATE "inventory_stocklevel"', 'COMMIT', …"""
    import re

    q = " ".join(query.split())
    m = re.match(r'(\w+)\b.*?\b(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', q, re.I)
    if q.upper().startswith("UPDATE"):
        m2 = re.match(r'UPDATE\s+"?(\w+)"?', q, re.I)
        return f"UPDATE {m2.group(1)}" if m2 else q[:40]
    if m:
        return f"{m.group(1).upper()} {m.group(2)}"
    return q[:40]
