from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from catalog import selectors, services
from catalog.api import bulk
from catalog.api.serializers import (
    AliasLookupSerializer,
    ProductBulkResultSerializer,
    ProductBulkSerializer,
    ProductCreateSerializer,
    ProductSerializer,
    ProductUpdateSerializer,
    SkuAliasCreateSerializer,
    SkuAliasSerializer,
)
from catalog.filtersets import ProductFilterSet
from vectis.api.filters import ATOMIC, bool_param, check_query_params
from vectis.api.views import VectisGenericViewSet, validated
from vectis.serializers import represent

TAGS = ["products"]


@extend_schema_view(
    list=extend_schema(summary="List products", tags=TAGS),
    retrieve=extend_schema(summary="Get a product", tags=TAGS),
)
class ProductViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VectisGenericViewSet):
    scope_resource = "products"
    serializer_class = ProductSerializer
    filterset_class = ProductFilterSet
    sort_fields = ("sku", "name", "created_at", "updated_at")
    default_sort = "sku"
    schema_errors = {409: "`duplicate_sku`, or an Idempotency-Key conflict."}
    schema_not_found = ("by_alias",)  # looked up by its query: 404 when no alias matches

    def get_queryset(self):
        return selectors.products_for_account(self.account)

    @extend_schema(
        summary="Create a product",
        description="A `kit` lists `components` (`sku`, `quantity`); components cannot be kits.",
        tags=TAGS,
        request=ProductCreateSerializer,
        responses={201: ProductSerializer},
    )
    def create(self, request):
        data = validated(ProductCreateSerializer, request.data)
        product = services.product_create(account=self.account, data=data)
        return self.respond(product, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Update a product",
        description="`sku` cannot change. Sending `components` replaces a kit's list.",
        tags=TAGS,
        request=ProductUpdateSerializer,
        responses={200: ProductSerializer},
    )
    def partial_update(self, request, id=None):
        product = self.get_object()
        data = validated(
            ProductUpdateSerializer, request.data, partial=True, context={"product": product}
        )
        product = services.product_update(product=product, data=data)
        return self.respond(product)

    @extend_schema(
        summary="Delete or archive a product",
        description="A product that stock, order lines or a kit refer to is archived "
        "(`active: false`, 200 with the product) instead; otherwise it is deleted (204).",
        tags=TAGS,
        responses={200: ProductSerializer, 204: None},
    )
    def destroy(self, request, id=None):
        archived = services.product_delete(product=self.get_object())
        if archived is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return self.respond(archived)

    @extend_schema(
        summary="Get the product a channel's alias names",
        description="The product that `alias` of `channel` maps to (the SKU the channel "
        "sends); 404 when the channel maps no product to it.",
        tags=TAGS,
        parameters=[AliasLookupSerializer],
        responses={200: ProductSerializer},
    )
    @action(detail=False, methods=["get"], url_path="by_alias")
    def by_alias(self, request):
        check_query_params(request.query_params, AliasLookupSerializer().fields)
        query = validated(AliasLookupSerializer, request.query_params)
        product = get_object_or_404(
            self.get_queryset(), aliases__channel=query["channel"], aliases__alias=query["alias"]
        )
        return self.respond(product)

    @extend_schema(
        summary="Get a product by SKU",
        tags=TAGS,
        parameters=[OpenApiParameter("sku", OpenApiTypes.STR, OpenApiParameter.PATH)],
        responses={200: ProductSerializer},
    )
    @action(detail=False, methods=["get"], url_path=r"by_sku/(?P<sku>[A-Za-z0-9._\-]+)")
    def by_sku(self, request, sku=None):
        product = get_object_or_404(self.get_queryset(), sku=sku)
        return Response(represent(ProductSerializer, product))

    @extend_schema(
        summary="Create or update up to 1,000 products by SKU",
        description="Each item is created (new SKU) or updated (existing SKU, like a PATCH). "
        "Results come per item with its index; invalid items do not stop the others unless "
        "`atomic=true`, in which case any invalid item writes nothing (400 listing every "
        "failure as `products[i].field`).",
        tags=TAGS,
        parameters=[ATOMIC],
        request=ProductBulkSerializer,
        responses={200: ProductBulkResultSerializer},
    )
    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request):
        raw = validated(ProductBulkSerializer, request.data)["products"]
        atomic = bool_param(request, "atomic")
        items, failed = bulk.prepare(self.account, raw)
        outcomes = services.products_bulk_upsert(
            account=self.account, items=items, failed=failed, atomic=atomic
        )
        results = []
        for o in outcomes:
            row = {"index": o.index, "sku": o.sku, "status": o.status}
            if o.product is not None:
                row["id"] = o.product.public_id
            if o.error is not None:
                row["error"] = o.error
            results.append(row)
        return Response(
            {
                "created": sum(o.status == "created" for o in outcomes),
                "updated": sum(o.status == "updated" for o in outcomes),
                "failed": sum(o.status == "error" for o in outcomes),
                "results": results,
            }
        )


@extend_schema_view(list=extend_schema(summary="List a product's channel SKU aliases", tags=TAGS))
class ProductAliasViewSet(mixins.ListModelMixin, VectisGenericViewSet):
    """`/v1/products/{product_id}/aliases`: a channel's own SKUs for one product."""

    scope_resource = "products"
    serializer_class = SkuAliasSerializer
    lookup_url_kwarg = "alias_id"
    schema_errors = {409: "`duplicate_alias`: the channel already maps this alias."}

    def get_product(self):
        return get_object_or_404(
            selectors.products_for_account(self.account), public_id=self.kwargs["product_id"]
        )

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.aliases_for_product(None).none()
        return selectors.aliases_for_product(self.get_product())

    @extend_schema(
        summary="Map a channel SKU to this product",
        tags=TAGS,
        request=SkuAliasCreateSerializer,
        responses={201: SkuAliasSerializer},
    )
    def create(self, request, product_id=None):
        product = self.get_product()
        data = validated(SkuAliasCreateSerializer, request.data)
        alias = services.alias_create(product=product, channel=data["channel"], alias=data["alias"])
        return Response(SkuAliasSerializer(alias).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Remove a channel SKU alias", tags=TAGS, responses={204: None})
    def destroy(self, request, product_id=None, alias_id=None):
        services.alias_delete(alias=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
