from tests.factories import order_body


def create(api, external_id, sku="WIDGET-BLU", name="John Doe", email="", channel="shopify"):
    data = order_body(external_id, items=[{"sku": sku, "quantity": 1}], channel=channel)
    data["ship_to"].update(name=name, email=email)
    response = api.post("/v1/orders", data)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def ids(api, **params):
    response = api.get("/v1/orders", params)
    assert response.status_code == 200, response.content
    return [o["id"] for o in response.json()["data"]]


def test_filters(api, stock, account):
    account.auto_allocate = False
    account.save()
    east, west = stock.warehouse("EAST"), stock.warehouse("WEST")
    stock.receive(stock.product("WIDGET-BLU"), west, 5)
    stock.product("GADGET-RED")
    a = create(api, "A-1", name="Ada Lovelace", email="ada@example.com")
    b = create(api, "B-2", sku="GADGET-RED", channel="amazon")
    c = create(api, "C-3")
    api.post(f"/v1/orders/{c}/allocate")
    api.post(f"/v1/orders/{b}/cancel")
    assert ids(api) == [c, b, a]
    assert ids(api, status="pending,cancelled") == [b, a]
    assert ids(api, channel="amazon") == [b]
    assert ids(api, external_id="A-1") == [a]
    assert ids(api, sku="GADGET-RED") == [b]
    assert ids(api, warehouse=west.public_id) == [c]
    assert ids(api, warehouse=east.public_id) == []
    assert ids(api, q="lovelace") == [a]
    assert ids(api, q="ada@") == [a]
    assert ids(api, q="B-2") == [b]
    assert ids(api, sort="created_at") == [a, b, c]
    assert ids(api, created_after="2000-01-01", created_before="2000-01-02") == []


def test_list_query_count_does_not_grow_with_rows(
    api, stock, account, django_assert_max_num_queries
):
    account.auto_allocate = False
    account.save()
    stock.product("WIDGET-BLU")
    for i in range(100):
        create(api, f"Q-{i}")

    def count_queries(per_page):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            response = api.get("/v1/orders", {"per_page": per_page})
        assert len(response.json()["data"]) == per_page
        return len(captured.captured_queries)

    small, large = count_queries(10), count_queries(100)
    assert small == large
    with django_assert_max_num_queries(small):
        api.get("/v1/orders", {"per_page": 100})
