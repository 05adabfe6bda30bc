import pytest
from django.contrib.auth.models import User

from tests.helpers import make_account, warehouse_body
from vectis.accounts.models import Membership
from warehouses import services
from warehouses.models import Location, Warehouse

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    # Warehouses are set up by managers (vectis/accounts/roles.py); no model permissions.
    user = User.objects.create_user("staff", password="pw", is_staff=True)
    client.force_login(user)
    return client, user


def test_staff_see_only_their_accounts_warehouses(staff_client):
    client, user = staff_client
    mine, theirs = make_account("Mine"), make_account("Theirs")
    Membership.objects.create(user=user, account=mine, role="manager")
    services.warehouse_create(account=mine, data=warehouse_body("MINE"))
    other = services.warehouse_create(account=theirs, data=warehouse_body("THEIRS"))

    listing = client.get("/admin/warehouses/warehouse/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "MINE" in html and "THEIRS" not in html
    # another account's warehouse is a 404, as in the API (it was a redirect to the index)
    assert client.get(f"/admin/warehouses/warehouse/{other.pk}/change/").status_code == 404


def test_admin_add_creates_default_location_through_the_service(staff_client):
    client, user = staff_client
    account = make_account("Mine")
    Membership.objects.create(user=user, account=account, role="manager")
    response = client.post(
        "/admin/warehouses/warehouse/add/",
        {
            "account": account.pk,
            "code": "ADM",
            "name": "From admin",
            "address": '{"address1": "1 A St", "city": "X", "postal_code": "1", "country": "US"}',
            "priority": 1,
            "active": "on",
            "locations-TOTAL_FORMS": 0,
            "locations-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    warehouse = Warehouse.objects.get(code="ADM")
    assert list(Location.objects.filter(warehouse=warehouse).values_list("code", "is_default")) == [
        ("DEFAULT", True)
    ]


def test_admin_refuses_to_deactivate_default_location(staff_client):
    client, user = staff_client
    account = make_account("Mine")
    Membership.objects.create(user=user, account=account, role="manager")
    warehouse = services.warehouse_create(account=account, data=warehouse_body("W"))
    location = warehouse.locations.get()
    response = client.post(
        f"/admin/warehouses/location/{location.pk}/change/",
        {"code": "DEFAULT", "name": "x", "pickable": "on"},  # "active" unticked
    )
    assert response.status_code == 200  # the form is shown again with the error
    location.refresh_from_db()
    assert location.active is True and location.name == "Default location"
