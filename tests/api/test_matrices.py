"""Generated matrices over every operation of the schema (tests/api/matrices.py): tenancy,
scopes and read-only fields. A new endpoint is in them without an edit here."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.api.hostile import SCHEMA, created
from tests.api.matrices import (
    Filler,
    operations,
    read_only_violations,
    scope_violations,
    tenancy_violations,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_world(world):
    """The hostile-input world plus what it lacks for every path and list: an alias, a
    delivery, a threshold and a return with a label."""
    api = world.api
    threshold = {"sku": "A", "warehouse_id": world.warehouse, "low_stock_threshold": 3}
    created(api.post("/v1/inventory/thresholds", threshold))
    created(api.post(f"/v1/products/{world.product}/aliases", {"channel": "c", "alias": "x"}))
    created(api.post(f"/v1/webhooks/{world.webhook}/test"), status=(200, 201, 202))
    # the newest return, first in its list, has a label
    line = {"sku": "B", "quantity": 1, "reason": "damaged"}
    labelled = created(api.post("/v1/returns", {"order_id": world.shipped, "lines": [line]}))
    created(api.post(f"/v1/returns/{labelled['id']}/authorize", {"label": True}))
    return world


def test_every_path_parameter_is_filled_with_an_object_the_owner_reaches(full_world):
    filler = Filler(full_world.api, SCHEMA)
    templates = {t for _, t, _ in operations(SCHEMA) if "{" in t}
    assert len(templates) >= 40  # the walk found the id operations
    for template in sorted(templates):
        path = filler.fill(template)
        assert "{" not in path
        if "get" in SCHEMA["paths"][template]:
            assert full_world.api.get(path).status_code == 200, path


def test_another_accounts_token_reaches_nothing(full_world, other_api):
    # given the owner's world and another account with every scope and no rows of its own
    # when every id operation and every list (plain and with each filter) is sent by the other
    # then each id operation is a 404 with nothing changed, and no list shows a row
    assert tenancy_violations(SCHEMA, full_world.api, other_api) == []


def test_the_tenancy_matrix_catches_a_planted_endpoint_without_tenancy(
    full_world, other_api, settings
):
    # given the real URLs plus an endpoint that lists and reads every account's products
    settings.ROOT_URLCONF = "tests.api.urls_planted"
    planted = SchemaGenerator(urlconf="tests.api.urls_planted").get_schema(
        request=None, public=True
    )
    assert {"/v1/planted", "/v1/planted/{id}"} <= set(planted["paths"])
    # when the generated matrix runs over it
    wrong = tenancy_violations(planted, full_world.api, other_api, prefix="/v1/planted")
    # then both the read by id and the list are reported
    assert {(w[0], w[1]) for w in wrong} == {("GET", "/v1/planted/{id}"), ("GET", "/v1/planted")}
    by_id = next(w for w in wrong if w[1] == "/v1/planted/{id}")
    assert by_id[2] == 200


def test_every_operation_needs_its_scope(full_world, account):
    assert scope_violations(SCHEMA, account, full_world.api) == []


def test_read_only_fields_in_writes_are_refused_and_never_persisted(full_world):
    wrong, sent = read_only_violations(SCHEMA, full_world.api)
    assert wrong == []
    assert sent >= 100  # every write with a body, with each field it answers but cannot set


def test_options_on_every_path_answers_what_it_allows(full_world):
    # found by schemathesis: OPTIONS on a view without a serializer was a 500
    filler = Filler(full_world.api, SCHEMA)
    paths = sorted({t for _, t, _ in operations(SCHEMA)})
    assert len(paths) >= 50
    for template in paths:
        path = filler.fill(template)
        response = full_world.api.http.options(path)
        assert response.status_code == 200, (template, response.status_code)
        documented = {m.upper() for m in SCHEMA["paths"][template]} & {
            "GET",
            "POST",
            "PATCH",
            "PUT",
            "DELETE",
        }
        assert documented <= {m.strip() for m in response["Allow"].split(",")}, template
        assert response.json()["schema"] == "/v1/openapi.json"
