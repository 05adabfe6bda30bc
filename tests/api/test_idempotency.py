import json
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from tests.helpers import Api, error_of, make_account, warehouse_body
from vectis.api.idempotency import fingerprint
from vectis.api.models import IdempotencyKey
from warehouses.models import Location, Warehouse


@pytest.mark.django_db
def test_replay_returns_original_status_and_body(api):
    # given a first request
    first = api.post("/v1/warehouses", warehouse_body(), key="k-1")
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    # when it is sent again with the same key and body
    again = api.post("/v1/warehouses", warehouse_body(), key="k-1")
    # then the stored response comes back and nothing new is created
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Warehouse.objects.count() == 1
    assert Location.objects.count() == 1


@pytest.mark.django_db
def test_json_key_order_does_not_matter(api):
    api.post(
        "/v1/warehouses",
        {"code": "A", "name": "n", "address": warehouse_body()["address"]},
        key="k",
    )
    again = api.post(
        "/v1/warehouses",
        {"address": warehouse_body()["address"], "name": "n", "code": "A"},
        key="k",
    )
    assert again["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_same_key_different_body_is_422(api):
    api.post("/v1/warehouses", warehouse_body("A"), key="k-2")
    response = api.post("/v1/warehouses", warehouse_body("B"), key="k-2")
    assert response.status_code == 422
    assert error_of(response)["code"] == "idempotency_key_reused"
    assert list(Warehouse.objects.values_list("code", flat=True)) == ["A"]


@pytest.mark.django_db
def test_same_key_different_path_is_422(api):
    created = api.post("/v1/warehouses", warehouse_body("A"), key="k-3").json()
    response = api.post(f"/v1/warehouses/{created['id']}/locations", {"code": "B1"}, key="k-3")
    assert response.status_code == 422
    assert Location.objects.count() == 1


@pytest.mark.django_db
def test_errors_are_replayed_too(api):
    bad = warehouse_body()
    bad["address"]["country"] = "XX"
    first = api.post("/v1/warehouses", bad, key="k-bad")
    again = api.post("/v1/warehouses", bad, key="k-bad")
    assert first.status_code == again.status_code == 400
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["error"]["code"] == "validation_error"


@pytest.mark.django_db
@pytest.mark.urls("tests.api.urls_boom")
def test_server_errors_are_not_stored_so_a_retry_runs_again(api):
    assert api.post("/v1/test/boom", {}, key="k-500").status_code == 500
    assert not IdempotencyKey.objects.filter(key="k-500").exists()
    assert api.post("/v1/test/boom", {}, key="k-500").status_code == 500


def _in_flight_key(account, key, body: bytes, *, locked_at):
    return IdempotencyKey.objects.create(
        account=account,
        key=key,
        fingerprint=fingerprint("POST", "/v1/warehouses", body),
        method="POST",
        path="/v1/warehouses",
        locked_at=locked_at,
        expires_at=timezone.now() + timedelta(hours=23),
    )


@pytest.mark.django_db
def test_key_in_flight_is_409(api):
    body = json.dumps(warehouse_body()).encode()
    _in_flight_key(api.account, "busy", body, locked_at=timezone.now())
    response = api.http.post(
        "/v1/warehouses", data=body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="busy"
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "idempotency_in_progress"
    assert Warehouse.objects.count() == 0


@pytest.mark.django_db
def test_stale_in_flight_key_is_taken_over(api, settings):
    # given a key whose request died (held longer than the lock timeout)
    body = warehouse_body()
    stale = timezone.now() - timedelta(seconds=settings.VECTIS_IDEMPOTENCY_LOCK_SECONDS + 5)
    _in_flight_key(api.account, "dead", json.dumps(body).encode(), locked_at=stale)
    # when the client retries, the request runs and completes the key
    response = api.post("/v1/warehouses", body, key="dead")
    assert response.status_code == 201
    assert IdempotencyKey.objects.get(key="dead").status == IdempotencyKey.COMPLETED


@pytest.mark.django_db
def test_expired_key_can_be_used_again(api):
    api.post("/v1/warehouses", warehouse_body("A"), key="old")
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api.post("/v1/warehouses", warehouse_body("B"), key="old")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Warehouse.objects.count() == 2


@pytest.mark.django_db
def test_keys_live_24_hours_and_are_purged_after(api):
    from vectis.api.tasks import purge_idempotency_keys

    api.post("/v1/warehouses", warehouse_body("A"), key="k")
    record = IdempotencyKey.objects.get()
    assert record.expires_at - record.created_at == pytest.approx(
        timedelta(hours=24), abs=timedelta(seconds=5)
    )
    assert purge_idempotency_keys() == 0
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert purge_idempotency_keys() == 1
    assert IdempotencyKey.objects.count() == 0


@pytest.mark.django_db
def test_keys_are_scoped_per_account(api, other_api):
    assert api.post("/v1/warehouses", warehouse_body("A"), key="shared").status_code == 201
    response = other_api.post("/v1/warehouses", warehouse_body("B"), key="shared")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["x" * 256, "   "])
def test_bad_keys_are_400(api, key):
    response = api.post("/v1/warehouses", warehouse_body(), key=key)
    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["field"]) == ("validation_error", "Idempotency-Key")
    assert Warehouse.objects.count() == 0


@pytest.mark.django_db
def test_key_of_255_characters_is_fine(api):
    assert api.post("/v1/warehouses", warehouse_body(), key="k" * 255).status_code == 201


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_posts_with_one_key_create_exactly_one(close_db_in_threads):
    # given one client and 20 threads ready to post the same body with the same key
    api = Api(make_account("Concurrent"))
    body = warehouse_body("RACE")
    barrier = threading.Barrier(20)
    results: list = []
    lock = threading.Lock()

    def worker():
        http = APIClient()
        http.credentials(HTTP_AUTHORIZATION=f"Bearer {api.token}")
        try:
            barrier.wait()
            response = http.post(
                "/v1/warehouses", body, format="json", HTTP_IDEMPOTENCY_KEY="same-key"
            )
            with lock:
                results.append(response)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # then exactly one warehouse exists, one response is the original, others replay or wait
    assert Warehouse.objects.filter(code="RACE").count() == 1
    assert len(results) == 20
    originals = [r for r in results if r.status_code == 201 and "Idempotent-Replayed" not in r]
    replays = [
        r for r in results if r.status_code == 201 and r.get("Idempotent-Replayed") == "true"
    ]
    in_flight = [r for r in results if r.status_code == 409]
    assert len(originals) == 1
    assert len(originals) + len(replays) + len(in_flight) == 20
    assert all(r.json()["error"]["code"] == "idempotency_in_progress" for r in in_flight)
    assert all(r.json() == originals[0].json() for r in replays)
