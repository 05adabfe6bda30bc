"""Channel SKU aliases account-wide: list and filter them, create and delete them, upsert 1,000
in a call, and find a product by a channel's alias."""

import pytest

from catalog.models import SkuAlias
from tests.helpers import error_of
from tests.statements import count_statements

pytestmark = pytest.mark.django_db


@pytest.fixture
def products(stock):
    return {sku: stock.product(sku) for sku in ("TEE", "MUG", "CAP")}


def test_aliases_are_listed_filtered_created_and_deleted_account_wide(api, other_api, products):
    for sku, channel, alias in [
        ("TEE", "amazon", "B0TEE"),
        ("TEE", "shopify", "tee-black"),
        ("MUG", "amazon", "B0MUG"),
    ]:
        response = api.post("/v1/aliases", {"sku": sku, "channel": channel, "alias": alias})
        assert response.status_code == 201, response.content
    created = response.json()
    assert (created["sku"], created["product_id"]) == ("MUG", products["MUG"].public_id)

    everything = api.get("/v1/aliases").json()["data"]
    assert [(a["channel"], a["alias"], a["sku"]) for a in everything] == [
        ("amazon", "B0TEE", "TEE"),  # by channel, then as created
        ("amazon", "B0MUG", "MUG"),
        ("shopify", "tee-black", "TEE"),
    ]
    amazon = api.get("/v1/aliases", {"channel": "amazon"}).json()["data"]
    assert {a["alias"] for a in amazon} == {"B0TEE", "B0MUG"}
    tee = api.get("/v1/aliases", {"sku": "TEE"}).json()["data"]
    assert {a["alias"] for a in tee} == {"B0TEE", "tee-black"}
    assert other_api.get("/v1/aliases").json()["data"] == []  # another account's are unknown
    assert other_api.get(f"/v1/aliases/{created['id']}").status_code == 404

    again = api.post("/v1/aliases", {"sku": "CAP", "channel": "amazon", "alias": "B0MUG"})
    assert (again.status_code, error_of(again)["code"]) == (409, "duplicate_alias")
    unknown = api.post("/v1/aliases", {"sku": "NOPE", "channel": "amazon", "alias": "X"})
    assert (unknown.status_code, error_of(unknown)["field"]) == (400, "sku")

    assert api.delete(f"/v1/aliases/{created['id']}").status_code == 204
    assert not SkuAlias.objects.filter(public_id=created["id"]).exists()


def test_a_product_is_found_by_a_channels_alias(api, products):
    api.post("/v1/aliases", {"sku": "TEE", "channel": "amazon", "alias": "B0TEE"})
    found = api.get("/v1/products/by_alias", {"channel": "amazon", "alias": "B0TEE"})
    assert (found.status_code, found.json()["sku"]) == (200, "TEE")
    other_channel = api.get("/v1/products/by_alias", {"channel": "ebay", "alias": "B0TEE"})
    assert other_channel.status_code == 404
    missing = api.get("/v1/products/by_alias", {"channel": "amazon"})
    assert (missing.status_code, error_of(missing)["field"]) == (400, "alias")


def test_bulk_creates_moves_and_keeps_aliases_and_reports_bad_rows(api, products):
    api.post("/v1/aliases", {"sku": "TEE", "channel": "amazon", "alias": "KEEP"})
    api.post("/v1/aliases", {"sku": "TEE", "channel": "amazon", "alias": "MOVE"})
    body = {
        "aliases": [
            {"sku": "TEE", "channel": "amazon", "alias": "KEEP"},
            {"sku": "MUG", "channel": "amazon", "alias": "MOVE"},
            {"sku": "CAP", "channel": "amazon", "alias": "NEW"},
            {"sku": "NOPE", "channel": "amazon", "alias": "BAD"},
            {"sku": "MUG", "channel": "amazon", "alias": "NEW"},
        ]
    }

    response = api.post("/v1/aliases/bulk", body)

    assert response.status_code == 200, response.content
    answer = response.json()
    assert [(r["index"], r["status"]) for r in answer["results"]] == [
        (0, "unchanged"),
        (1, "updated"),
        (2, "created"),
        (3, "error"),
        (4, "error"),
    ]
    assert (answer["created"], answer["updated"], answer["unchanged"], answer["failed"]) == (
        1,
        1,
        1,
        2,
    )
    assert answer["results"][3]["error"]["field"] == "sku"
    assert answer["results"][4]["error"]["code"] == "duplicate_alias"
    mapped = dict(SkuAlias.objects.values_list("alias", "product__sku"))
    assert mapped == {"KEEP": "TEE", "MOVE": "MUG", "NEW": "CAP"}


def test_a_bulk_upsert_costs_the_same_for_10_and_1000_aliases(api, products):
    assert api.get("/v1/aliases").status_code == 200  # the token is verified (and cached)
    counts = {}
    for rows in (10, 1000):
        body = {
            "aliases": [
                {"sku": "TEE", "channel": f"c{rows}", "alias": f"A-{n}"} for n in range(rows)
            ]
        }
        with count_statements() as seen:
            response = api.post("/v1/aliases/bulk", body)
        assert response.json()["created"] == rows
        counts[rows] = seen
    assert counts[10].count == counts[1000].count, (str(counts[10]), str(counts[1000]))
