"""`/v1/aliases`: every channel SKU alias of the account, created, deleted and upserted in bulk
(1,000 a call), and a product found by a channel's alias (`/v1/products/by_alias`)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from catalog import selectors, services
from catalog.api.refs import ProductRefs
from catalog.api.serializers import (
    AliasBulkResultSerializer,
    AliasBulkSerializer,
    AliasInSerializer,
    SkuAliasSerializer,
)
from catalog.filtersets import AliasFilterSet
from vectis.api.views import VectisGenericViewSet, validated
from vectis.errors import ValidationFailed

TAGS = ["aliases"]


@extend_schema_view(
    list=extend_schema(summary="List the account's channel SKU aliases", tags=TAGS),
    retrieve=extend_schema(summary="Get a channel SKU alias", tags=TAGS),
)
class AliasViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VectisGenericViewSet):
    scope_resource = "products"
    serializer_class = SkuAliasSerializer
    filterset_class = AliasFilterSet
    sort_fields = ("created_at", "channel", "alias")
    default_sort = "channel"
    schema_errors = {409: "`duplicate_alias`: the channel already maps this alias."}

    def get_queryset(self):
        return selectors.aliases_for_account(self.account)

    @extend_schema(
        summary="Map a channel SKU to a product",
        tags=TAGS,
        request=AliasInSerializer,
        responses={201: SkuAliasSerializer},
    )
    def create(self, request):
        data = validated(AliasInSerializer, request.data)
        product = ProductRefs(self.account).product(data)
        mapping = services.alias_create(
            product=product, channel=data["channel"], alias=data["alias"]
        )
        return self.respond(mapping, status.HTTP_201_CREATED)

    @extend_schema(summary="Remove a channel SKU alias", tags=TAGS, responses={204: None})
    def destroy(self, request, id=None):
        services.alias_delete(alias=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Create or move up to 1,000 channel SKU aliases",
        description="Each row maps (`channel`, `alias`) to the product it names: `created`, "
        "`updated` (the alias pointed at another product and now points at this one), or "
        "`unchanged`; an unknown product or a pair repeated in the batch is that row's "
        "`error`, the other rows still apply.",
        tags=TAGS,
        request=AliasBulkSerializer,
        responses={200: AliasBulkResultSerializer},
    )
    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request):
        items = validated(AliasBulkSerializer, request.data)["aliases"]
        products = ProductRefs(self.account)
        products.prefetch_products(items)
        rows, failed = [], []
        for index, item in enumerate(items):
            try:
                product = products.product(item)
            except ValidationFailed as error:
                failed.append(
                    services.AliasOutcome(
                        index,
                        "error",
                        item["channel"],
                        item["alias"],
                        error={"code": error.code, "message": error.message, "field": error.field},
                    )
                )
                continue
            rows.append(services.AliasRow(index, item["channel"], item["alias"], product))
        outcomes = sorted(
            [*failed, *services.aliases_bulk_upsert(account=self.account, rows=rows)],
            key=lambda o: o.index,
        )
        results = []
        for o in outcomes:
            row = {"index": o.index, "status": o.status, "channel": o.channel, "alias": o.alias}
            if o.mapping is not None:
                row["id"] = o.mapping.public_id
                row["product_id"] = o.mapping.product.public_id
            if o.error is not None:
                row["error"] = o.error
            results.append(row)
        counts = {s: sum(o.status == s for o in outcomes) for s in ("created", "updated")}
        return Response(
            {
                **counts,
                "unchanged": sum(o.status == "unchanged" for o in outcomes),
                "failed": sum(o.status == "error" for o in outcomes),
                "results": results,
            }
        )
