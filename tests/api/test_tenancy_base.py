"""Tenancy is the base viewset's, not each resource's: a viewset that forgets the account
filter is scoped anyway, and opting out is one line (`tenancy_opt_out`) that this test lists."""

import pytest
from django.urls import get_resolver

from catalog.models import Product
from tests.helpers import Api
from vectis.api.views import AccountScopedMixin

pytestmark = pytest.mark.django_db

# Every viewset of the API that opts out of account scoping, with its reason. None does.
OPTED_OUT: dict[str, str] = {}


def _views(resolver=None, found=None):
    found = set() if found is None else found
    for pattern in (resolver or get_resolver()).url_patterns:
        if hasattr(pattern, "url_patterns"):
            _views(pattern, found)
            continue
        view = getattr(pattern.callback, "cls", None) or getattr(
            pattern.callback, "view_class", None
        )
        if view is not None:
            found.add(view)
    return found


def test_no_viewset_opts_out_of_tenancy_unlisted():
    scoped = [v for v in _views() if issubclass(v, AccountScopedMixin)]
    assert len(scoped) >= 15  # the walk found the API's viewsets
    opted = {f"{v.__module__}.{v.__qualname__}": v.tenancy_opt_out for v in scoped}
    assert {k: r for k, r in opted.items() if r} == OPTED_OUT


def test_a_viewset_that_forgets_the_account_filter_is_scoped_anyway(settings, account):
    # given products of two accounts and a planted viewset whose get_queryset returns all
    settings.ROOT_URLCONF = "tests.api.urls_planted"
    mine = Product.objects.create(account=account, sku="MINE", name="m")
    other = Api(account=_other_account())
    theirs = Product.objects.create(account=other.account, sku="THEIRS", name="t")
    api = Api(account)
    # when each lists and reads through it
    listed = [row["sku"] for row in api.get("/v1/forgetful").json()["data"]]
    # then each sees only its own
    assert listed == ["MINE"]
    assert [r["sku"] for r in other.get("/v1/forgetful").json()["data"]] == ["THEIRS"]
    assert api.get(f"/v1/forgetful/{mine.public_id}").status_code == 200
    assert api.get(f"/v1/forgetful/{theirs.public_id}").status_code == 404
    # while the one that opts out, in so many words, leaks (what the matrix catches)
    assert {r["sku"] for r in api.get("/v1/planted").json()["data"]} == {"MINE", "THEIRS"}


def _other_account():
    from tests.helpers import make_account

    return make_account("Forgetful Other")
