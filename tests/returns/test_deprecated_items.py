"""Line arrays are named as their resource names its lines (docs/api.md, "Naming"): a return's
`lines`. Receiving with the old `items` still works until its sunset, answered with
Deprecation (RFC 9745) and Sunset (RFC 8594) headers."""

from email.utils import parsedate_to_datetime

import pytest

from returns.models import Return, ReturnReceipt
from tests.helpers import error_of
from tests.returns.test_returns import request_return, shipped  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

ITEM = {"sku": "WIDGET-BLU", "quantity_received": 1, "condition": "new", "disposition": "restock"}


def _authorized(api, order) -> str:
    line = {"sku": "WIDGET-BLU", "quantity": 1, "reason": "damaged"}
    ret = request_return(api, order, [line]).json()["id"]
    assert api.post(f"/v1/returns/{ret}/authorize", {}).status_code == 200
    return ret


def test_receiving_with_lines_has_no_deprecation_headers(api, shipped):  # noqa: F811
    ret = _authorized(api, shipped[0])
    response = api.post(f"/v1/returns/{ret}/receive", {"lines": [ITEM]})
    assert response.status_code == 200, response.content
    assert "Deprecation" not in response and "Sunset" not in response
    assert Return.objects.get(public_id=ret).status == "received"


def test_the_old_items_name_still_works_and_says_it_is_deprecated(api, shipped):  # noqa: F811
    ret = _authorized(api, shipped[0])
    response = api.post(f"/v1/returns/{ret}/receive", {"items": [ITEM]})
    assert response.status_code == 200, response.content
    # Deprecation: an RFC 9651 date (@unix seconds) of 2026-12-04; Sunset: an HTTP-date after it
    assert response["Deprecation"] == "@1796342400"
    sunset = parsedate_to_datetime(response["Sunset"])
    assert (sunset.year, sunset.month, sunset.day) == (2027, 6, 30)
    assert Return.objects.get(public_id=ret).status == "received"
    assert ReturnReceipt.objects.filter(line__ret__public_id=ret).count() == 1
    # and the next request says nothing of it
    after = api.get(f"/v1/returns/{ret}")
    assert "Deprecation" not in after


def test_both_names_at_once_is_a_400_naming_the_old_one(api, shipped):  # noqa: F811
    ret = _authorized(api, shipped[0])
    response = api.post(f"/v1/returns/{ret}/receive", {"items": [ITEM], "lines": [ITEM]})
    assert response.status_code == 400
    assert error_of(response)["field"] == "items"
    assert Return.objects.get(public_id=ret).status == "authorized"


def test_the_schema_marks_the_old_name_deprecated(api):
    schema = api.get("/v1/openapi.json").json()
    body = schema["components"]["schemas"]["ReceiveRequest"]
    assert body["properties"]["items"]["deprecated"] is True
    assert body["properties"]["items"]["items"] == body["properties"]["lines"]["items"]
    assert body["oneOf"] == [{"required": ["lines"]}, {"required": ["items"]}]
    assert "required" not in body
