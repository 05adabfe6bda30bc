"""`validated` and `represent` reuse one serializer per thread; results must not depend on it."""

import threading

import pytest
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from vectis.api.views import validated
from vectis.serializers import MoneyField, represent


class Line(serializers.Serializer):
    sku = serializers.CharField(max_length=10)
    quantity = serializers.IntegerField(min_value=1)


class Body(serializers.Serializer):
    name = serializers.CharField(max_length=20)
    lines = Line(many=True)
    note = serializers.CharField(required=False)

    def validate(self, attrs):
        if "forbid" in self.context and self.context["forbid"] == attrs.get("name"):
            raise serializers.ValidationError({"name": ["Forbidden by context."]})
        attrs["seen_context"] = dict(self.context)
        return attrs


def fresh(data, **kwargs):
    serializer = Body(
        data=data, partial=kwargs.get("partial", False), context=kwargs.get("context", {})
    )
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def errors(call, data, **kwargs):
    with pytest.raises(ValidationError) as caught:
        call(Body, data, **kwargs) if call is validated else call(data, **kwargs)
    return caught.value.detail


def test_repeated_calls_give_what_a_fresh_serializer_gives():
    bodies = [
        {"name": "a", "lines": [{"sku": "X", "quantity": 1}]},
        {
            "name": "b",
            "lines": [{"sku": "Y", "quantity": 2}, {"sku": "Z", "quantity": 3}],
            "note": "n",
        },
        {"name": "c", "lines": []},
    ]
    for body in bodies * 2:
        assert validated(Body, body) == fresh(body)


def test_errors_are_identical_to_is_valid_and_do_not_poison_the_next_call():
    bad = [
        {"name": "x" * 21, "lines": [{"sku": "X", "quantity": 0}]},
        {"lines": "nope"},
        ["not", "a", "dict"],
        None,
        {"name": "a", "lines": [{"sku": "X" * 11, "quantity": "many"}]},
    ]
    for body in bad:
        assert errors(validated, body) == errors(fresh, body)
        good = {"name": "ok", "lines": [{"sku": "X", "quantity": 1}]}
        assert validated(Body, good) == fresh(good)


def test_context_is_this_calls_only():
    body = {"name": "a", "lines": []}
    assert validated(Body, body, context={"forbid": "z", "k": 1})["seen_context"] == {
        "forbid": "z",
        "k": 1,
    }
    assert validated(Body, body)["seen_context"] == {}
    assert errors(validated, body, context={"forbid": "a"}) == {"name": ["Forbidden by context."]}
    assert validated(Body, body)["seen_context"] == {}


def test_partial_and_full_are_kept_apart():
    assert validated(Body, {"note": "only"}, partial=True) == {"note": "only", "seen_context": {}}
    detail = errors(validated, {"note": "only"})
    assert set(detail) == {"name", "lines"}


def test_each_thread_validates_on_its_own_instance():
    results, failures = [], []
    barrier = threading.Barrier(4)

    def work(n):
        barrier.wait()
        for i in range(200):
            body = {"name": f"t{n}-{i}", "lines": [{"sku": f"S{n}", "quantity": i + 1}]}
            got = validated(Body, body, context={"thread": n})
            if got["name"] != body["name"] or got["seen_context"] != {"thread": n}:
                failures.append((n, i, got))
        results.append(n)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 1, 2, 3]
    assert failures == []


class Thing:
    def __init__(self, name, parts, price):
        self.name, self.parts, self.price = name, parts, price


class Part(serializers.Serializer):
    sku = serializers.CharField(source="name")


class ThingOut(serializers.Serializer):
    name = serializers.CharField()
    parts = Part(many=True)
    price = MoneyField()
    count = serializers.SerializerMethodField()

    def get_count(self, obj) -> int:
        return len(obj.parts)


def test_represent_gives_what_data_gives_for_each_instance():
    from decimal import Decimal

    things = [
        Thing("a", [], Decimal("1.50")),
        Thing("b", [Thing("x", [], 0)], Decimal("0")),
        Thing("c", [Thing("y", [], 0), Thing("z", [], 0)], Decimal("10.0001")),
    ]
    for thing in things * 2:
        assert represent(ThingOut, thing) == ThingOut(thing).data
    assert represent(ThingOut, things[2])["count"] == 2
    assert represent(ThingOut, things[0]) == {"name": "a", "parts": [], "price": "1.50", "count": 0}
