"""drf-spectacular's settings (vectis.settings.SPECTACULAR_SETTINGS): a plain dict, importing
nothing, so that settings can load it first."""

OPENAPI_SETTINGS = {
    "TITLE": "Vectis OMS API",
    "DESCRIPTION": (
        "Order management: orders, stock per warehouse and bin, allocation, packages, returns "
        "and signed webhooks.\n\nAuthenticate with the OAuth 2.0 client-credentials flow at "
        "`POST /oauth/token`, then send `Authorization: Bearer <token>`. Each operation lists "
        "the scope it needs. Errors share one envelope: "
        '`{"error": {"code", "message", "field", "details", "request_id"}}`. A method a path '
        "does not list is a 405 `method_not_allowed` with an `Allow` header naming the ones "
        "it does. A request the body alone makes wrong is a 400; one that the current state "
        "refuses is a 409 (docs/api.md)."
    ),
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": r"/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "vectis.api.schema_postprocess.postprocess_schema",
        "webhooks.schema.add_webhooks_section",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ProductTypeEnum": ["simple", "kit"],
        "TrackingEnum": ["none", "lot", "serial"],
        # `reason` and `status` name several choice sets; these two had no stable name.
        "ReturnReasonEnum": "returns.models.REASONS",
        "AdjustReasonEnum": "inventory.models.ADJUST_REASONS",
        "TrackingStatusEnum": [
            "in_transit",
            "out_for_delivery",
            "delivered",
            "exception",
        ],
    },
}
