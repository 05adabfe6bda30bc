"""Metrics at /metrics (Prometheus text format) and structured JSON logs: requests by route and
status, task and webhook outcomes, the backlog read at each scrape, who may scrape; log lines
with the request's id, account and client, task lines with the request that queued them, and
no secret in any line."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from orders.models import Order
from tests.factories import order_body
from tests.helpers import Api, make_account
from tests.live import celery_worker, gunicorn, redis_server, wait_until
from tests.webhooks.receiver import Reply
from vectis import tasks
from vectis.api.tasks import purge_idempotency_keys
from webhooks import services as webhooks
from webhooks.models import Event


def scrape(client, **extra) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.django_db
def test_requests_are_counted_by_route_method_and_status(client, api):
    before = scrape(client)
    for _ in range(3):
        assert api.get("/v1/warehouses").status_code == 200
    assert client.get("/v1/warehouses").status_code == 401
    assert api.get("/v1/orders/ord_nothing").status_code == 404
    after = scrape(client)

    route = {"method": "GET", "route": "v1/warehouses"}
    delta = {
        status: value(after, "vectis_http_requests_total", **route, status=status)
        - value(before, "vectis_http_requests_total", **route, status=status)
        for status in ("200", "401")
    }
    assert delta == {"200": 3, "401": 1}
    count = "vectis_http_request_duration_seconds_count"
    assert value(after, count, **route) - value(before, count, **route) == 4
    # the route is the pattern, never the path (the id is not a label)
    detail = [k for k in after if k[0] == "vectis_http_requests_total" and "404" in str(k)]
    assert detail and all("ord_nothing" not in str(k) for k in detail)
    inf = value(after, "vectis_http_request_duration_seconds_bucket", **route, le="+Inf")
    assert inf == value(after, count, **route)


@pytest.mark.django_db
def test_the_backlog_is_read_at_each_scrape(client, api, stock):
    stock.receive(stock.product("TEE"), stock.warehouse("MAIN"), 5)
    created = api.post("/v1/orders", order_body("M-1", items=[{"sku": "TEE", "quantity": 1}]))
    assert created.status_code == 201
    Order.objects.filter(public_id=created.json()["id"]).update(allocation_due_at=timezone.now())
    Event.objects.update(fanned_out_at=timezone.now())
    old = Event.objects.order_by("pk").first()
    Event.objects.filter(pk=old.pk).update(
        fanned_out_at=None, created_at=timezone.now() - timedelta(seconds=90)
    )

    samples = scrape(client)

    assert value(samples, "vectis_allocations_pending") == 1
    assert value(samples, "vectis_outbox_unrelayed_events") == 1
    assert 90 <= value(samples, "vectis_outbox_lag_seconds") < 3600
    assert value(samples, "vectis_backlog_up") == 1


@pytest.mark.django_db
def test_task_and_webhook_outcomes_are_counted(
    client, account, receiver_factory, local_targets, django_capture_on_commit_callbacks
):
    before = scrape(client)
    assert tasks.enqueue(purge_idempotency_keys)
    good, bad = receiver_factory(Reply(200)), receiver_factory(Reply(400))
    for receiver in (good, bad):
        webhooks.endpoint_create(account=account, data={"url": receiver.url, "events": ["*"]})
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.emit(account, "order.created", {"id": "ord_1", "status": "pending"})
    after = scrape(client)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    task = "vectis.api.tasks.purge_idempotency_keys"
    assert delta("vectis_tasks_total", task=task, outcome="succeeded") == 1
    assert delta("vectis_task_duration_seconds_count", task=task) == 1
    assert delta("vectis_webhook_attempts_total", outcome="success") == 1
    assert delta("vectis_webhook_attempts_total", outcome="final") == 1
    assert delta("vectis_webhook_attempt_duration_seconds_count") == 2


@pytest.mark.django_db
def test_only_the_allowed_may_scrape(client, settings):
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    refused = client.get("/metrics", **outside)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    settings.VECTIS_METRICS_TOKEN = "scrape-me-" + "x" * 20
    assert client.get("/metrics", **outside, HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    token = f"Bearer {settings.VECTIS_METRICS_TOKEN}"
    assert client.get("/metrics", **outside, HTTP_AUTHORIZATION=token).status_code == 200
    settings.VECTIS_METRICS_ALLOWED_NETWORKS = []
    assert client.get("/metrics").status_code == 403  # loopback no longer enough
    assert client.post("/metrics").status_code == 405


def _json_lines(output: str) -> list[dict]:
    lines = []
    for line in output.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_logs_are_json_with_the_request_context_and_no_secret(close_db_in_threads):
    account = make_account("Logged")
    api = Api(account)
    with gunicorn(VECTIS_LOG_FORMAT="json", VECTIS_WEBHOOK_ALLOW_HTTP="true") as server:
        conn = server.connection()
        # a client secret in a request body
        form = (
            f"grant_type=client_credentials&client_id={api.client_model.client_id}"
            f"&client_secret={api.client_secret}"
        )
        conn.request(
            "POST",
            "/oauth/token",
            form,
            {"Content-Type": "application/x-www-form-urlencoded", "X-Request-ID": "req-token"},
        )
        token = json.loads(conn.getresponse().read())["access_token"]
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        # webhook secrets in response bodies
        body = json.dumps({"url": "http://127.0.0.1:9/hook", "events": ["*"]})
        conn.request("POST", "/v1/webhooks", body, {**auth, "X-Request-ID": "req-hook"})
        created = json.loads(conn.getresponse().read())
        rotate = f"/v1/webhooks/{created['id']}/rotate_secret"
        conn.request("POST", rotate, "{}", auth)
        rotated = json.loads(conn.getresponse().read())
        conn.request("GET", "/v1/warehouses", headers={**auth, "X-Request-ID": "req-list"})
        assert conn.getresponse().status == 200
        output = server.process.output()

    secrets = [api.client_secret, token, created["secret"], rotated.get("secret", "")]
    assert all(secrets) and created["secret"].startswith("whsec_")
    for secret in secrets:
        assert secret not in output
    lines = _json_lines(output)
    requests = {line["request_id"]: line for line in lines if line.get("event") == "request"}
    listed = requests["req-list"]
    assert listed["account"] == account.public_id
    assert listed["client"] == api.client_model.client_id
    assert (listed["route"], listed["status"], listed["method"]) == ("v1/warehouses", 200, "GET")
    assert listed["duration_ms"] > 0 and listed["level"] == "info" and listed["time"]
    assert requests["req-token"]["status"] == 200
    assert requests["req-hook"]["status"] == 201


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_task_logs_its_id_and_the_request_that_queued_it(close_db_in_threads, local_targets):
    account = make_account("Queued")
    api = Api(account)
    hook = webhooks.endpoint_create(
        account=account, data={"url": "http://127.0.0.1:9/hook", "events": ["*"]}
    ).endpoint
    with (
        redis_server() as redis,
        gunicorn(REDIS_URL=redis.url, VECTIS_LOG_FORMAT="json") as server,
        celery_worker(redis.url, VECTIS_LOG_FORMAT="json") as worker,
    ):
        conn = server.connection()
        headers = {
            "Authorization": f"Bearer {api.token}",
            "Content-Type": "application/json",
            "X-Request-ID": "req-ping-1",
        }
        # a test delivery is queued by the request itself (the attempt runs on the worker)
        conn.request("POST", f"/v1/webhooks/{hook.public_id}/test", "{}", headers)
        assert conn.getresponse().status == 202

        def task_line():
            for line in _json_lines(worker.output()):
                if line.get("event") == "task" and line.get("request_id") == "req-ping-1":
                    return line
            return None

        line = wait_until(task_line, timeout=30, what="the task's log line")
    assert line["task"] == "webhooks.deliver_batch"
    assert line["task_id"] and line["outcome"] == "succeeded" and line["duration_ms"] >= 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_scrape_adds_up_every_gunicorn_worker(close_db_in_threads):
    with gunicorn(VECTIS_WEB_WORKERS="3", VECTIS_WEB_THREADS="1") as server:
        for _ in range(24):
            conn = server.connection()  # a new connection each time: any worker may answer
            conn.request("GET", "/v1/warehouses")
            assert conn.getresponse().status == 401
            conn.close()
        conn = server.connection()
        conn.request("GET", "/metrics")
        response = conn.getresponse()
        text = response.read().decode()
    assert response.status == 200
    totals = {
        sample.labels["status"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "vectis_http_requests_total"
        and sample.labels.get("route") == "v1/warehouses"
    }
    assert totals == {"401": 24}


def test_secrets_are_cut_out_of_log_lines():
    from vectis import logs

    line = logs.redact(
        None,
        "info",
        {
            "event": "sent body client_secret=abc123&x=1 with whsec_QUJDREVGR0g= and "
            "Authorization: Bearer tok.en-value",
            "client_secret": "abc123",
            "headers": {"Authorization": "Bearer tok", "X-Request-ID": "req-1"},
            "tokens_revoked": 3,
        },
    )
    rendered = json.dumps(line)
    for secret in ("abc123", "QUJDREVGR0g", "tok.en-value", "Bearer tok"):
        assert secret not in rendered, secret
    assert line["headers"]["X-Request-ID"] == "req-1" and line["tokens_revoked"] == 3
    assert line["client_secret"] == logs.REDACTED


@pytest.mark.django_db
def test_odd_methods_and_tokens_cannot_break_the_metrics(client, settings):
    # any token is a method to gunicorn: counted as "other", not a label of its own
    assert client.generic("FOOBARX", "/healthz").status_code == 405
    samples = scrape(client)
    methods = {dict(k[1]).get("method") for k in samples if k[0] == "vectis_http_requests_total"}
    assert "FOOBARX" not in methods and "other" in methods
    # a token that is not ASCII is refused, not a 500
    settings.VECTIS_METRICS_TOKEN = "scrape-me-" + "x" * 20
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", **outside, HTTP_AUTHORIZATION="Bearer é").status_code == 403
