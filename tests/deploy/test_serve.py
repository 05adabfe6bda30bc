"""`make run` (`manage.py serve`): the embedded default in one process. Started twice on one
database it keeps the demo credentials; its in-process scheduler expires a lapsed hold (the
expiry sweep's event proves the sweep ran, not only the listing's view of the clock); a busy
port is a clear error."""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

from tests.live import BASE_DIR, Process, free_port, wait_until

INTERVAL = 2  # seconds between hold-expiry sweeps in this test (30 by default)


def _env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VECTIS_", "DJANGO_"))}
    env.pop("REDIS_URL", None)  # the embedded default: no broker
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'vectis.sqlite3'}",
            "VECTIS_ENV": "development",
            "VECTIS_DEMO_CREDENTIALS_FILE": str(tmp_path / "demo.json"),
            "VECTIS_SECRET_KEY_FILE": str(tmp_path / "secret_key"),
            "VECTIS_EXPIRE_HOLDS_SECONDS": str(INTERVAL),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _serve(tmp_path, port: int) -> Process:
    args = [sys.executable, "manage.py", "serve", "--port", str(port)]
    process = Process(args, _env(tmp_path), "serve")
    wait_until(
        lambda: "Vectis is running" in process.output() or not process.alive(),
        timeout=120,
        what="manage.py serve to start",
    )
    assert process.alive(), process.output()
    return process


def _call(port: int, method: str, path: str, body=None, token: str | None = None):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
        return response.status, json.loads(response.read())


def _credentials(output: str) -> tuple[str, str]:
    client_id = re.search(r"client_id:\s+(\S+)", output).group(1)
    secret = re.search(r"client_secret:\s+(\S+)", output).group(1)
    return client_id, secret


def _token(port: int, client_id: str, secret: str) -> str:
    body = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    status, answer = _call(port, "POST", "/oauth/token", body)
    assert status == 200
    return answer["access_token"]


def test_serve_twice_keeps_the_credentials_and_expires_holds_in_process(tmp_path):
    port = free_port()
    first = _serve(tmp_path, port)
    try:
        output = first.output()
        # the credentials come last: after them only the "running" lines
        tail = output[output.index("client_secret:") :]
        assert "Traceback" not in output and "Task " not in tail
        client_id, secret = _credentials(output)
        token = _token(port, client_id, secret)
        hold = {
            "reference": "cart-lapse",
            "items": [{"sku": "TEE-BLK-M", "quantity": 1}],
            "expires_in": 5,
        }
        status, _ = _call(port, "POST", "/v1/inventory/reserve", hold, token)
        assert status == 200
        reserved_at = time.monotonic()

        def swept():
            _, page = _call(
                port, "GET", "/v1/events?type=inventory.available_changed&per_page=100", None, token
            )
            return any(
                cause["reason"] == "expired"
                for event in page["data"]
                for cause in event["data"]["causes"]
            )

        # gone within the hold's 5 s and one sweep interval (with room for a slow machine)
        wait_until(swept, timeout=5 + INTERVAL + 15, interval=0.5, what="the expiry sweep")
        assert time.monotonic() - reserved_at >= 5  # not before it lapsed
        _, holds = _call(
            port, "GET", "/v1/inventory/reservations?reference=cart-lapse", None, token
        )
        assert [h["status"] for h in holds["data"]] == ["expired"]
    finally:
        first.stop()

    second = _serve(tmp_path, port)
    try:
        assert _credentials(second.output()) == (client_id, secret)
        assert "same secret as the last run" in second.output()
        assert _token(port, client_id, secret)  # still valid
    finally:
        second.stop()


def test_a_busy_port_is_a_clear_error(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "manage.py", "serve", "--port", str(port)],
            cwd=BASE_DIR,
            env=_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 1
    assert f"Port {port} on 127.0.0.1 is already in use" in result.stderr
    assert f"make run PORT={port + 1}" in result.stderr
    assert "Traceback" not in result.stderr
