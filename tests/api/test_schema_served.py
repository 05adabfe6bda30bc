"""/v1/openapi.json is built once per process and served from memory with an ETag
(issue 15: served in under 5 ms after the first request, pinned as a count of builds)."""

import pytest
from rest_framework.test import APIClient

from vectis.api.views import SchemaView

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh():
    SchemaView.forget()
    yield
    SchemaView.forget()


def test_the_schema_is_built_once_for_many_requests(fresh):
    client = APIClient()
    before = SchemaView.builds
    bodies = [client.get("/v1/openapi.json") for _ in range(5)]
    assert SchemaView.builds - before == 1
    assert all(r.status_code == 200 for r in bodies)
    assert len({r.content for r in bodies}) == 1
    assert bodies[0]["Content-Type"] == "application/vnd.oai.openapi+json"
    assert bodies[0].json()["openapi"].startswith("3.1")
    assert "/v1/openapi.json" not in bodies[0].json()["paths"]


def test_a_client_holding_the_current_schema_gets_304(fresh):
    client = APIClient()
    first = client.get("/v1/openapi.json")
    etag = first["ETag"]
    assert etag.startswith('"') and len(etag) > 10
    again = client.get("/v1/openapi.json", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag
    stale = client.get("/v1/openapi.json", HTTP_IF_NONE_MATCH='"something-else"')
    assert stale.status_code == 200 and stale.content == first.content
    # a weak validator and a list of tags match too
    listed = client.get("/v1/openapi.json", HTTP_IF_NONE_MATCH=f'"x", W/{etag}')
    assert listed.status_code == 304


def test_a_changed_url_conf_builds_a_new_schema(fresh, settings):
    client = APIClient()
    client.get("/v1/openapi.json")
    before = SchemaView.builds
    settings.ROOT_URLCONF = "vectis.urls"  # any settings change drops the built schema
    client.get("/v1/openapi.json")
    assert SchemaView.builds - before == 1
