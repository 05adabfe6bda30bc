"""/healthz (liveness: the process answers) and /readyz (readiness: database, broker and
migrations, 503 naming what fails), checked against real services the test starts and stops:
a private redis-server, a gunicorn with the shipped configuration, a database that is not
there."""

import json

import pytest

from tests.live import free_port, gunicorn, redis_server, wait_until


def get(server, path: str) -> tuple[int, dict]:
    conn = server.connection(timeout=15)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


@pytest.mark.django_db
def test_healthz_and_readyz_need_no_token_and_are_not_rate_limited(client, settings):
    settings.VECTIS_RATE_LIMIT_ENABLED = True
    for _ in range(150):
        assert client.get("/healthz").status_code == 200
    assert client.get("/healthz").json() == {"status": "ok"}
    for _ in range(30):
        response = client.get("/readyz")
        assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ready" and body["failing"] == []
    assert body["checks"]["database"] == {"status": "ok"}
    assert body["checks"]["migrations"] == {"status": "ok"}
    assert body["checks"]["redis"]["status"] in {"ok", "disabled"}


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_readyz_names_redis_while_it_is_down_and_recovers():
    with redis_server() as redis, gunicorn(REDIS_URL=redis.url) as server:
        status, body = get(server, "/readyz")
        assert (status, body["failing"]) == (200, []), body
        assert body["checks"]["redis"] == {"status": "ok"}

        redis.stop()
        status, body = get(server, "/readyz")
        assert (status, body["status"], body["failing"]) == (503, "not_ready", ["redis"]), body
        assert body["checks"]["redis"]["status"] == "error"
        assert get(server, "/healthz") == (200, {"status": "ok"})  # alive all the same

        redis.start()  # the same port again
        wait_until(lambda: get(server, "/readyz")[0] == 200, timeout=20, what="ready again")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_readyz_names_the_database_when_postgresql_is_unreachable():
    nothing_there = free_port()
    url = f"postgres://vectis:s3cret-pw@127.0.0.1:{nothing_there}/vectis"
    with gunicorn(DATABASE_URL=url) as server:
        status, body = get(server, "/readyz")
        assert status == 503, body
        assert "database" in body["failing"], body
        assert body["checks"]["database"]["status"] == "error"
        assert "s3cret" not in json.dumps(body)  # the connection string is never shown
        assert get(server, "/healthz")[0] == 200
