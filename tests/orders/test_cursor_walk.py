"""Deep sync by cursor while the data changes: a walk over 10,000 orders, with another thread
updating and inserting orders all the while, sees every order that existed when it started
exactly once (PostgreSQL, real connections)."""

import random
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from orders.models import Order
from tests.helpers import Api, make_account

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _walk(api, sort: str, by_page: bool) -> list[str]:
    """Every order id of a walk over GET /v1/orders, by cursor or by page number."""
    params = {"per_page": 100, "sort": sort}
    body = api.get("/v1/orders", params).json()
    seen, page = [row["id"] for row in body["data"]], 1
    while (body["data"] if by_page else body["meta"]["next_cursor"]) and len(seen) < 30_000:
        page += 1
        more = {"page": page} if by_page else {"cursor": body["meta"]["next_cursor"]}
        response = api.get("/v1/orders", {**params, **more})
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [row["id"] for row in body["data"]]
    return seen


@pytest.mark.parametrize(
    ("sort", "by_page"), [("created_at", False), ("-created_at", False), ("-created_at", True)]
)
def test_a_cursor_walk_over_10000_orders_sees_each_once_while_others_write(
    close_db_in_threads, settings, sort, by_page
):
    settings.VECTIS_RATE_LIMIT_ENABLED = False
    account = make_account("Walk")
    start = timezone.now()
    Order.objects.bulk_create(
        [
            Order(account=account, channel="web", external_id=f"W-{n:05}", created_at=start)
            for n in range(10_000)
        ],
        batch_size=2000,
    )  # one created_at for all: the walk's order within it is the id's
    existing = set(Order.objects.filter(account=account).values_list("public_id", flat=True))
    stop = threading.Event()
    writes = {"updated": 0, "inserted": 0}
    errors: list[BaseException] = []

    def writer() -> None:
        rng = random.Random(3)
        ids = list(Order.objects.filter(account=account).values_list("pk", flat=True))
        try:
            n = 0
            while not stop.is_set():
                Order.objects.filter(pk=rng.choice(ids)).update(
                    notes=f"touched {n}", updated_at=timezone.now()
                )
                Order.objects.create(account=account, channel="web", external_id=f"NEW-{n}")
                writes["updated"] += 1
                writes["inserted"] += 1
                n += 1
                time.sleep(0.002)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    api = Api(account)
    try:
        seen = _walk(api, sort, by_page)
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert writes["updated"] > 50 and writes["inserted"] > 50  # the walk ran among writes
    if by_page:
        # the control: page numbers over a list that grows at the top repeat rows
        assert len(seen) > len(set(seen))
        return
    assert len(seen) == len(set(seen))  # nothing twice
    assert existing <= set(seen)  # everything that existed, once
