"""Contract run (issue 15): schemathesis against a running Vectis, then a per-operation table.

    .venv/bin/python tests/contract/run.py                 # the CI profile
    .venv/bin/python tests/contract/run.py --deep          # more examples, longer stateful runs

Starts its own server on 127.0.0.1 (a fresh PostgreSQL database `vectis_contract` when
DATABASE_URL is set, else a temporary SQLite file), a Celery worker when REDIS_URL is set,
and the webhook stub every webhook URL is pointed at (tests/contract/st_hooks.py). Seeds the
demo account, takes a token with every scope, runs `st run` with tests/contract/schemathesis.toml
and prints, per operation, the responses by status class. Exits non-zero on any failure or
on an operation that never answered 2xx. Everything stops by itself (a bounded number of
examples, and with --deep a 30-minute budget); traffic goes to 127.0.0.1 only.
"""

import argparse
import collections
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()  # noqa: S310 (http://127.0.0.1, built here)
            return
        except Exception:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not come up")


def tally(ndjson: Path) -> dict[str, collections.Counter]:
    seen: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for line in ndjson.read_text().splitlines():
        if '"ScenarioFinished"' not in line:
            continue
        recorder = json.loads(line)["ScenarioFinished"]["recorder"]
        for interaction in recorder.get("interactions", {}).values():
            response = interaction.get("response")
            if response:
                seen[recorder["label"]][f"{response['status_code'] // 100}xx"] += 1
    return seen


def call(base: str, token: str, method: str, path: str, body=None) -> dict:
    request = urllib.request.Request(  # noqa: S310 (http://127.0.0.1, built here)
        f"{base}{path}",
        method=method,
        data=None if method == "GET" else json.dumps(body if body is not None else {}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (as above)
        return json.load(answer)


def seed_over_http(base: str, token: str, refs: dict) -> dict:
    """Through the API: a shipped order of the reference SKU (what a return refers to), then
    an allocated one (the newest package, first in the list that links to packages, is
    pending) and an active hold (what a release by reservation_id refers to)."""

    def allocated(external_id: str) -> dict:
        order = call(
            base,
            token,
            "POST",
            "/v1/orders",
            {
                "external_id": external_id,
                "channel": "contract",
                "items": [{"sku": refs["sku"], "quantity": 3, "price": "10.00"}],
                "ship_to": {
                    "name": "Contract Run",
                    "address1": "1 Test St",
                    "city": "Phoenix",
                    "postal_code": "85004",
                    "country": "US",
                },
            },
        )
        if order["status"] in ("pending", "backordered"):
            call(base, token, "POST", f"/v1/orders/{order['id']}/allocate")
        return order

    order = allocated("CONTRACT-SHIPPED")
    call(base, token, "POST", f"/v1/orders/{order['id']}/ship")
    pending = allocated("CONTRACT-ALLOCATED")
    packages = call(base, token, "GET", f"/v1/packages?order={pending['id']}")["data"]
    hold = call(
        base,
        token,
        "POST",
        "/v1/inventory/reserve",
        {"reference": "contract-hold", "items": [{"sku": refs["sku"], "quantity": 1}]},
    )
    return {
        "order_id": order["id"],
        "reservation_id": hold["reservations"][0]["id"],
        "pending_package_id": packages[0]["id"],
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deep", action="store_true", help="the manual, deeper profile")
    parser.add_argument("--max-examples", type=int)
    args, extra = parser.parse_known_args()

    work = Path(tempfile.mkdtemp(prefix="vectis-contract-"))
    port, stub_port = free_port(), free_port()
    env = {
        **os.environ,
        "VECTIS_ENV": "development",
        "VECTIS_RATE_LIMIT_ENABLED": "false",  # thousands of requests from one client
        "VECTIS_WEBHOOK_ALLOW_HTTP": "true",
        "VECTIS_WEBHOOK_ALLOW_PRIVATE": "true",  # the stub is on 127.0.0.1
        "VECTIS_CONTRACT_STUB": f"http://127.0.0.1:{stub_port}/hook",
    }
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
        subprocess.run(
            ["psql", f"{base}/postgres", "-qc", "DROP DATABASE IF EXISTS vectis_contract"],
            check=True,
        )
        subprocess.run(
            ["psql", f"{base}/postgres", "-qc", "CREATE DATABASE vectis_contract"], check=True
        )
        env["DATABASE_URL"] = f"{base}/vectis_contract"
    else:
        env["DATABASE_URL"] = f"sqlite:///{work / 'contract.sqlite3'}"
    env["REDIS_URL"] = os.environ.get("REDIS_URL", "")

    def manage(*argv, **kwargs):
        return subprocess.run(
            [PY, "manage.py", *argv], cwd=ROOT, env=env, check=True, text=True, **kwargs
        )

    manage("migrate", "--noinput", "-v0")
    creds = json.loads(
        manage(
            "seed_demo", "--json", "--base-url", f"http://127.0.0.1:{port}", capture_output=True
        ).stdout
    )
    refs = manage(
        "shell",
        "-c",
        "import json; from catalog.models import Product; from warehouses.models import "
        "Warehouse; "
        "p = Product.objects.filter(type='simple').order_by('pk').first(); "
        "w, w2 = Warehouse.objects.order_by('-priority', 'pk')[:2]; "
        "loc, loc2 = (x.locations.get(is_default=True) for x in (w, w2)); "
        "print(json.dumps({'sku': p.sku, 'product_id': p.public_id, "
        "'warehouse_id': w.public_id, 'from_warehouse_id': w.public_id, "
        "'location_id': loc.public_id, 'from_location_id': loc.public_id, "
        "'to_warehouse_id': w2.public_id, 'to_location_id': loc2.public_id, "
        "'barcode': '4006381333931'}))",
        capture_output=True,
    ).stdout
    refs = json.loads(refs.strip().splitlines()[-1])

    procs = []
    try:
        procs.append(
            subprocess.Popen(
                [PY, "-m", "bench.harness.stub", "--port", str(stub_port)], cwd=ROOT, env=env
            )
        )
        procs.append(
            subprocess.Popen(
                [PY, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
                cwd=ROOT,
                env=env,
                stdout=(work / "server.log").open("w"),
                stderr=subprocess.STDOUT,
            )
        )
        if env["REDIS_URL"]:
            procs.append(
                subprocess.Popen(
                    [PY, "-m", "celery", "-A", "vectis", "worker", "-c", "1", "-l", "WARNING"],
                    cwd=ROOT,
                    env=env,
                    stdout=(work / "worker.log").open("w"),
                    stderr=subprocess.STDOUT,
                )
            )
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/readyz")
        token_request = urllib.request.Request(  # noqa: S310 (http://127.0.0.1, built here)
            f"{base}/oauth/token",
            data=json.dumps(
                {
                    "grant_type": "client_credentials",
                    "client_id": creds["client_id"],
                    "client_secret": creds["client_secret"],
                }
            ).encode(),
            headers={"Content-Type": "application/json"},
        )
        answer = urllib.request.urlopen(token_request, timeout=10)  # noqa: S310 (as above)
        env["VECTIS_CONTRACT_TOKEN"] = json.load(answer)["access_token"]
        refs.update(seed_over_http(base, env["VECTIS_CONTRACT_TOKEN"], refs))

        env["VECTIS_CONTRACT_REFS"] = json.dumps(refs)
        print("references:", env["VECTIS_CONTRACT_REFS"], flush=True)
        env["SCHEMATHESIS_HOOKS"] = "tests.contract.st_hooks"
        env["PYTHONPATH"] = str(ROOT)
        ndjson = work / "events.ndjson"
        examples = args.max_examples or (200 if args.deep else 50)
        command = [
            shutil.which("st") or str(Path(PY).with_name("st")),
            "--config-file",
            str(HERE / "schemathesis.toml"),
            "run",
            f"{base}/v1/openapi.json",
            "-n",
            str(examples),
            "--report",
            "ndjson,junit",
            "--report-ndjson-path",
            str(ndjson),
            "--report-junit-path",
            str(work / "junit.xml"),
            "--no-color",
            *(["--max-time", "1800"] if args.deep else []),
            *extra,
        ]
        print("$", " ".join(command), flush=True)
        result = subprocess.run(command, cwd=work, env=env)  # its cache stays in `work`
        seen = tally(ndjson) if ndjson.exists() else {}
        print(f"\n{'operation':60} {'2xx':>6} {'4xx':>6} {'5xx':>6}")
        never = []
        for label in sorted(seen):
            counts = seen[label]
            print(f"{label:60} {counts['2xx']:6} {counts['4xx']:6} {counts['5xx']:6}")
            if not counts["2xx"]:
                never.append(label)
        print(f"\n{len(seen)} operations, {len(seen) - len(never)} answered 2xx at least once")
        for label in never:
            print(f"  never 2xx: {label}")
        print(f"work directory: {work}")
        return 1 if result.returncode or never else 0
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    sys.exit(main())
